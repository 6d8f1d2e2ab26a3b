import { AppError, InvalidInputError } from "../errors/index.js";

/** Another sync (or repair) of the same table holds its lock; a second one would race on the same ids. */
export class SyncInProgressError extends AppError {
  constructor(source: string, table: string) {
    super(`a sync of '${table}' in source '${source}' is already running; try again when it ends`, {
      code: "sync_in_progress",
      retryable: true,
      details: { source, table },
    });
    this.name = "SyncInProgressError";
  }
}

/** More changed rows than one request may embed: the Kafka path takes them instead. */
export class SyncTooLargeError extends AppError {
  constructor(rows: number, limit: number) {
    super(`${rows} changed rows exceed the synchronous limit of ${limit}; send the sync with "async": true`, {
      code: "sync_too_large",
      details: { rows, limit, use: "async" },
    });
    this.name = "SyncTooLargeError";
  }
}

/** Nothing says how to turn the table into documents: no ingestion or sync recorded it, and the request did not either. */
export class SyncSpecMissingError extends InvalidInputError {
  constructor(source: string, table: string) {
    super(
      `no ingestion of '${table}' in source '${source}' is recorded; ingest it with POST /ingest-data or give text_fields`,
      { source, table },
    );
    this.name = "SyncSpecMissingError";
  }
}

/** The watermark column holds values that cannot be compared in a filter (an ObjectId, an object). */
export class WatermarkTypeError extends InvalidInputError {
  constructor(source: string, table: string, column: string) {
    super(`watermark column '${column}' of '${table}' must hold numbers, dates or text`, { source, table, column });
    this.name = "WatermarkTypeError";
  }
}
