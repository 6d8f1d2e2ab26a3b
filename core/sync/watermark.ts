import { z } from "zod";
import { type RowFilter, toMetadataValue } from "../sources/index.js";

/** The highest value of the watermark column seen so far; `as: "date"` for MongoDB Date fields. */
export const watermarkSchema = z.object({ value: z.union([z.string(), z.number()]), as: z.literal("date").optional() });
export type Watermark = z.infer<typeof watermarkSchema>;

const comparableBson = new Set(["Long", "Int32", "Double", "Decimal128"]);

/** A row's watermark value, or undefined when it has none or one no filter can compare (a boolean, an ObjectId, an object). */
export function watermarkOf(value: unknown): Watermark | undefined {
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? undefined : { value: value.toISOString(), as: "date" };
  const comparable =
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "string" ||
    (value !== null &&
      typeof value === "object" &&
      comparableBson.has(String((value as { _bsontype?: unknown })._bsontype)));
  const scalar = comparable ? toMetadataValue(value) : undefined;
  return scalar === undefined || typeof scalar === "boolean" ? undefined : { value: scalar };
}

const integer = /^-?\d+$/;
const decimal = /^-?\d+(\.\d+)?$/;
const isoDate = /^\d{4}-\d{2}-\d{2}/;

/**
 * Orders two values of one column. Numbers as numbers (big integers, which arrive as text, exactly);
 * ISO dates by instant, then as text: PostgreSQL's microseconds are below Date's milliseconds, and
 * one column's values share a format, so the text order then decides.
 */
export function compareWatermarks(left: Watermark, right: Watermark): number {
  if (typeof left.value === "number" && typeof right.value === "number") return left.value - right.value;
  const a = String(left.value);
  const b = String(right.value);
  if (integer.test(a) && integer.test(b)) {
    const difference = BigInt(a) - BigInt(b);
    return difference === 0n ? 0 : difference > 0n ? 1 : -1;
  }
  if (decimal.test(a) && decimal.test(b)) return Number(a) - Number(b);
  if (isoDate.test(a) && isoDate.test(b)) {
    const difference = Date.parse(a) - Date.parse(b);
    if (difference !== 0 && !Number.isNaN(difference)) return difference;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function laterWatermark(
  current: Watermark | undefined,
  candidate: Watermark | undefined,
): Watermark | undefined {
  if (!candidate) return current;
  if (!current) return candidate;
  return compareWatermarks(candidate, current) > 0 ? candidate : current;
}

/**
 * Rows at or after the watermark. `gte`, not `gt`: a row written later with the same timestamp
 * as the last one seen is still read; rows read again are found unchanged by their hashes.
 */
export function watermarkFilter(column: string, watermark: Watermark): RowFilter {
  return { column, op: "gte", value: watermark.value, ...(watermark.as ? { as: watermark.as } : {}) };
}
