import { z } from "@hono/zod-openapi";

const valueTypes = ["number", "text", "date", "boolean", "other"] as const;
/** What a structured query returns: POST /query, and each `query` tool call in chat. */
export const QueryResultSchema = z
  .object({
    spec: z.record(z.string(), z.unknown()).openapi({ description: "The spec that ran, defaults filled in" }),
    columns: z.array(z.object({ name: z.string(), type: z.enum(valueTypes) })),
    rows: z.array(z.record(z.string(), z.unknown())).openapi({
      description:
        "Numbers as JSON numbers (sum and avg rounded to 6 decimals), dates as ISO 8601 UTC instants, null for missing",
    }),
    truncated: z.boolean().openapi({ description: "More rows matched than the limit" }),
    execution: z
      .enum(["postgresql_sql", "mongodb_find", "mongodb_pipeline", "mongodb_find_in_code", "streamed_in_code"])
      .openapi({
        description: "How the source ran it: natively, or in code over streamed rows where the engine lacks it",
      }),
  })
  .openapi("QueryResult");

/** A query the model ran in chat: the same result, numbered so the answer cites it as [Qn]. */
export const ChatQueryResultSchema = QueryResultSchema.extend({
  spec: z.record(z.string(), z.unknown()).openapi({
    description:
      "What ran: the spec, defaults filled in; for the `sql` tool, `{source, sql}` with the statement as run",
  }),
  label: z.string().openapi({ description: "Cited in the answer as [label], e.g. [Q1]", example: "Q1" }),
}).openapi("ChatQueryResult");
