import { AppError, ComponentUnavailableError, InvalidInputError, NotFoundError } from "../errors/index.js";
import { reservedMetadataKeys } from "./reserved.js";

export class SourceNotFoundError extends NotFoundError {
  constructor(source: string) {
    super(`unknown source '${source}'`, { source });
    this.name = "SourceNotFoundError";
  }
}

export class TableNotFoundError extends NotFoundError {
  constructor(source: string, table: string) {
    super(`source '${source}' has no table or collection '${table}'`, { source, table });
    this.name = "TableNotFoundError";
  }
}

/** Fields named in a request that the table does not have. */
export class UnknownFieldsError extends InvalidInputError {
  constructor(source: string, table: string, fields: readonly string[]) {
    super(`unknown field(s) in '${table}': ${fields.map((field) => `'${field}'`).join(", ")}`, {
      source,
      table,
      fields,
    });
    this.name = "UnknownFieldsError";
  }
}

/** Fields asked for as metadata whose names the service's own metadata already uses. */
export class ReservedFieldsError extends InvalidInputError {
  constructor(source: string, table: string, fields: readonly string[]) {
    super(
      `field(s) ${fields.map((field) => `'${field}'`).join(", ")} of '${table}' cannot be metadata: the service keeps its own ` +
        `${fields.length > 1 ? "values" : "value"} under that name (reserved: ${reservedMetadataKeys.join(", ")}); ` +
        "leave them out of the fields, or embed them as text_fields",
      { source, table, fields },
    );
    this.name = "ReservedFieldsError";
  }
}

/** The database could not be reached; the message names the source, never its address or credentials. */
export class SourceUnavailableError extends ComponentUnavailableError {
  constructor(source: string, cause?: unknown) {
    super(`source '${source}'`, { cause, message: `source '${source}' is unreachable` });
    this.name = "SourceUnavailableError";
  }
}

/** The database refused the configured credentials. */
export class SourceAuthenticationError extends AppError {
  constructor(source: string, cause?: unknown) {
    super(`source '${source}' refused the configured credentials`, {
      code: "source_authentication_failed",
      cause,
      details: { source },
    });
    this.name = "SourceAuthenticationError";
  }
}

/** A file path that leaves the data folder, or a file that is not there. */
export class FilePathError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = "FilePathError";
  }
}
