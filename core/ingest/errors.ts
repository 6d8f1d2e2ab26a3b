import { AppError } from "../errors/index.js";

/** Too many rows for one request: the async endpoint takes it through Kafka instead. */
export class IngestTooLargeError extends AppError {
  constructor(rows: number, limit: number) {
    super(`${rows} rows exceed the synchronous limit of ${limit}; use POST /ingest-data-async`, {
      code: "ingest_too_large",
      details: { rows, limit, use: "/ingest-data-async" },
    });
    this.name = "IngestTooLargeError";
  }
}
