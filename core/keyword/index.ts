export { createKeywordIndex } from "./create.js";
export { KeywordIndexDisabledError, KeywordIndexUnavailableError } from "./errors.js";
export { isIdentifier, KeywordIndex, type KeywordMatch, type KeywordRecord } from "./keyword-index.js";
export type { KeywordFilters } from "./where.js";
