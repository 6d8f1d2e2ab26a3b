import { ComponentUnavailableError, InvalidInputError, NotFoundError } from "../errors/index.js";

/** Kafka Connect's REST API cannot be reached, or answered with a server error: try again later. */
export class ConnectUnavailableError extends ComponentUnavailableError {
  constructor(message: string, cause?: unknown) {
    super("kafka_connect", { message, cause });
    this.name = "ConnectUnavailableError";
  }
}

/**
 * Kafka Connect refused a request (a 4xx other than 404 and 409): Debezium's validation of the
 * source (wal_level, the role's REPLICATION right, the table) failed. The admin's to fix: a 400.
 */
export class ConnectRequestError extends InvalidInputError {
  readonly status: number;

  constructor(status: number, message: string) {
    super(`kafka connect refused the connector (${status}): ${message}`, { status });
    this.name = "ConnectRequestError";
    this.status = status;
  }
}

/** CDC was asked of a source whose kind has no logical decoding here (MongoDB-wire, files). */
export class CdcNotSupportedError extends InvalidInputError {
  constructor(source: string, kind: string) {
    super(
      `change data capture works on PostgreSQL sources; '${source}' is ${kind} (use POST /sync/{source} to poll it)`,
      { source, kind },
    );
    this.name = "CdcNotSupportedError";
  }
}

/** A CDC table needs a primary key: Debezium keys its events by it, and the consumer reads rows by it. */
export class CdcTableWithoutKeyError extends InvalidInputError {
  constructor(source: string, table: string) {
    super(`table '${table}' of source '${source}' has no primary key, which change data capture needs`, {
      source,
      table,
    });
    this.name = "CdcTableWithoutKeyError";
  }
}

/** Nothing was enabled for the source. */
export class CdcNotEnabledError extends NotFoundError {
  constructor(source: string) {
    super(`change data capture is not enabled for source '${source}'`, { source });
    this.name = "CdcNotEnabledError";
  }
}
