export { InvalidQueryError, InvalidSqlError, QueryTimeoutError, TableNotQueryableError } from "./errors.js";
export type { ResultRow } from "./evaluate.js";
export { type OutputColumn, planQuery, type QueryPlan } from "./plan.js";
export { describeQueryTable, type QueryDependencies, type QueryResult, runQuery, schemaCacheMs } from "./run.js";
export {
  type Aggregate,
  aggregateDecimals,
  aggregateFunctions,
  defaultQueryLimit,
  type QueryFilter,
  type QuerySpec,
  type QuerySpecInput,
  queryFilterOperators,
  queryRowCap,
  querySpecSchema,
} from "./spec.js";
export { allowedSqlFunctions, checkSql, type SqlAllowance } from "./sql-guard.js";
export { runSql, type SqlResult } from "./sql-run.js";
export type { QueryValue, ValueType } from "./values.js";
