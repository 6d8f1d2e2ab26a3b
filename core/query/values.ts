import type { SourceKind } from "../sources/index.js";
import { aggregateDecimals } from "./spec.js";

/** How a query treats a column's values, whatever the source kind stores them as. */
export type ValueType = "number" | "text" | "date" | "boolean" | "other";
export type QueryValue = number | string | boolean | null | Record<string, unknown> | unknown[];

const numericText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const isoDate = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

export const looksNumeric = (text: string) => numericText.test(text.trim());
export const looksLikeDate = (text: string) => isoDate.test(text.trim());

/**
 * A date as the ISO 8601 instant in UTC with milliseconds (`2024-01-05T00:00:00.000Z`). A value
 * without a zone (a PostgreSQL `date` or `timestamp`, a CSV cell) is taken as UTC.
 */
export function toIsoInstant(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== "string" || !looksLikeDate(value)) return null;
  let text = value.trim().replace(" ", "T");
  if (!text.includes("T")) text += "T00:00:00";
  if (!/(Z|[+-]\d{2}(:?\d{2})?)$/.test(text)) text += "Z";
  else text = text.replace(/([+-]\d{2})$/, "$1:00");
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

/**
 * A stored value as a query result value of its column's type: numbers as JSON numbers, dates as
 * ISO instants, booleans as booleans, empty CSV cells and values of another type as null.
 * MongoDB values must already have the BSON type (no numbers read from strings there).
 */
export function normalizeValue(type: ValueType, value: unknown, kind: SourceKind): QueryValue {
  if (value === null || value === undefined) return null;
  if (kind === "csv" && value === "") return null;
  switch (type) {
    case "number": {
      if (typeof value === "number") return Number.isFinite(value) ? value : null;
      if (typeof value === "bigint") return Number(value);
      if (typeof value === "string") return kind !== "mongodb" && looksNumeric(value) ? Number(value) : null;
      // Long, Decimal128 and Double from the bson package print their exact value.
      if (typeof value === "object" && "_bsontype" in value) {
        const number = Number(String(value));
        return Number.isFinite(number) ? number : null;
      }
      return null;
    }
    case "date":
      return toIsoInstant(value);
    case "boolean":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      return null;
    case "text":
      return typeof value === "string" ? value : String(value);
    default:
      if (typeof value === "object" && "toHexString" in value && typeof value.toHexString === "function") {
        return String(value.toHexString());
      }
      if (value instanceof Date) return value.toISOString();
      if (typeof value === "object") return value as Record<string, unknown>;
      return value as string | number | boolean;
  }
}

/** sum and avg, rounded so the same figures from different engines print the same. */
export const roundAggregate = (value: number): number => Number(value.toFixed(aggregateDecimals));

/**
 * The one order of values every kind follows (nulls are placed last by the sort, see rowOrder): numbers by value, dates by
 * instant, text by UTF-16 code unit (PostgreSQL's "C" collation and MongoDB's binary order agree
 * with it outside the astral planes), false before true.
 */
export function compareValues(left: QueryValue, right: QueryValue): number {
  if (left === null || right === null) return left === right ? 0 : left === null ? -1 : 1;
  if (typeof left === "number" && typeof right === "number") return left - right;
  if (typeof left === "boolean" && typeof right === "boolean") return Number(left) - Number(right);
  const a = typeof left === "string" ? left : JSON.stringify(left);
  const b = typeof right === "string" ? right : JSON.stringify(right);
  return a < b ? -1 : a > b ? 1 : 0;
}
