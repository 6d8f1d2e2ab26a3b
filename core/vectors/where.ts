import { z } from "zod";

// Chroma refuses text with lone surrogates, and `$in` lists mixing types (it tells whole numbers from fractions).
const wellFormed = (text: string) => !/\p{Cs}/u.test(text);
const notWellFormed = "text must be valid Unicode (no lone surrogates)";
const kind = (value: string | number | boolean) =>
  typeof value === "number" ? (Number.isInteger(value) ? "integer" : "fraction") : typeof value;

const scalar = z.union([z.string().max(1_000).refine(wellFormed, notWellFormed), z.number(), z.boolean()]);
const inList = z
  .array(scalar)
  .min(1)
  .max(100)
  .refine(
    (values) => new Set(values.map(kind)).size === 1,
    "$in values must be of one type (whole numbers and fractions count as two)",
  );

/**
 * Metadata filters a client may send: equality on a field, or `{ "$in": [...] }`.
 * `source` picks collections (fast: no metadata scan); the rest become a Chroma `where`.
 */
export const metadataFiltersSchema = z
  .record(
    z.string().min(1).max(128).regex(/^[^$]/, "field names cannot start with '$'").refine(wellFormed, notWellFormed),
    z.union([scalar, z.object({ $in: inList }).strict()]),
  )
  .refine((filters) => Object.keys(filters).length <= 10, "at most 10 filter fields")
  // The same rules in JSON Schema words, for the published API document (refinements are invisible there).
  .meta({ propertyNames: { minLength: 1, maxLength: 128, pattern: "^[^$]" }, maxProperties: 10 });

export type MetadataFilters = z.infer<typeof metadataFiltersSchema>;

/** Splits filters into the sources they name and a Chroma where clause for everything else. */
export function splitFilters(filters: MetadataFilters = {}): {
  sources: string[] | undefined;
  where: Record<string, unknown> | undefined;
} {
  const { source, ...rest } = filters;
  const sources =
    source === undefined ? undefined : typeof source === "object" ? source.$in.map(String) : [String(source)];
  const clauses = Object.entries(rest).map(([key, value]) =>
    typeof value === "object" ? { [key]: { $in: value.$in } } : { [key]: { $eq: value } },
  );
  const where = clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
  return { sources, where };
}
