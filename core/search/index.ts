export {
  type RetrievalMode,
  retrievalModes,
  type SearchDependencies,
  type SearchMatch,
  type SearchOutcome,
  type SearchRequest,
  search,
  searchDocuments,
} from "./search.js";
