export { type SearchRequest, searchDocuments } from "./search.js";
