import { z } from "zod";

/** The only operators a row filter may use; anything else is refused by the schema. */
export const filterOperators = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "is_null", "not_null"] as const;

const scalar = z.union([z.string().max(10_000), z.number(), z.boolean()]);

/** A filter's value: a scalar bound as a parameter, a list of them for `in`, or null. */
export const filterValueSchema = z.union([scalar, z.array(scalar).min(1).max(1_000), z.null()]);

/** `in` needs a list, `is_null`/`not_null` nothing, every other operator one value. */
export function checkFilterValue(filter: { op: string; value?: unknown }, context: z.RefinementCtx): void {
  const needsList = filter.op === "in";
  const needsNone = filter.op === "is_null" || filter.op === "not_null";
  if (needsList && !Array.isArray(filter.value)) {
    context.addIssue({ code: "custom", path: ["value"], message: "'in' needs a list of values" });
  } else if (
    !needsList &&
    !needsNone &&
    (filter.value === undefined || filter.value === null || Array.isArray(filter.value))
  ) {
    context.addIssue({ code: "custom", path: ["value"], message: `'${filter.op}' needs one value` });
  }
}

/**
 * A structured row filter: a column, an operator from a fixed list, and a value bound as a
 * parameter. Values are scalars (or a list of scalars for `in`), so no operator object such as
 * MongoDB's `$where` can ever ride along inside a value.
 */
export const rowFilterSchema = z
  .object({
    column: z.string().min(1).max(256),
    op: z.enum(filterOperators).default("eq"),
    value: filterValueSchema.optional(),
    /** Compare the value as a date: MongoDB orders Date fields apart from strings (PostgreSQL casts by column type). */
    as: z.enum(["date"]).optional(),
  })
  // A misspelt `operator` must not quietly become "eq".
  .strict()
  .superRefine(checkFilterValue);

export type RowFilter = z.infer<typeof rowFilterSchema>;
