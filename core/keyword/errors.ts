import { ComponentUnavailableError, InvalidInputError } from "../errors/index.js";

/** The keyword index's database cannot be reached (or failed mid-call). */
export class KeywordIndexUnavailableError extends ComponentUnavailableError {
  constructor(cause?: unknown) {
    super("keyword_index", { cause });
    this.name = "KeywordIndexUnavailableError";
  }
}

/** A keyword or hybrid query asked of a service without a keyword index. */
export class KeywordIndexDisabledError extends InvalidInputError {
  constructor(mode: string) {
    super(
      `mode '${mode}' needs the keyword index, which is not configured (set SEARCH_DATABASE_URL); use mode 'vector'`,
      {
        mode,
      },
    );
    this.name = "KeywordIndexDisabledError";
  }
}

/** SEARCH_TEXT_INDEX=rum on a database without the extension: a deployment mistake, reported as the index being down. */
export class RumExtensionMissingError extends ComponentUnavailableError {
  constructor() {
    super("keyword_index", {
      message:
        "SEARCH_TEXT_INDEX=rum needs the rum extension in the keyword index's database (CREATE EXTENSION rum, as a superuser); or set SEARCH_TEXT_INDEX=gin",
    });
    this.name = "RumExtensionMissingError";
  }
}
