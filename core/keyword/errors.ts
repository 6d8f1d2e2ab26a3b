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
