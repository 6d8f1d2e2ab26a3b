export { type RelationProblem, UnknownRelationsError } from "./errors.js";
export { loadRelated, pagesOf } from "./load.js";
export {
  defaultOneToManyLimit,
  flattenRelations,
  type Relation,
  type RelationSettings,
  resolveRelations,
  withRelationKeys,
  worstCaseRows,
} from "./resolve.js";
export { type IncludeSpec, includeListSchema, includeSchema, type NestedIncludeSpec } from "./spec.js";
