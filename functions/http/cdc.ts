import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { cdcStatus, disableCdc, enableCdc } from "../../core/cdc/index.js";
import { sourceNameSchema } from "../../core/config/index.js";
import type { AppContext } from "../../core/context/index.js";
import { cdcCapability, connectCapability, sourcesCapability, vectorsCapability } from "../../core/context/index.js";
import { includeListSchema } from "../../core/relations/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { bodyErrorResponses, ErrorSchema, errorResponses } from "./shared/schemas.js";
import { fieldListSchema } from "./shared/source-schemas.js";

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const nameParams = z.object({
  name: sourceNameSchema
    .describe("A configured PostgreSQL source (GET /sources)")
    .openapi({ param: { name: "name", in: "path" }, example: "shop" }),
});

const EnableCdcSchema = z
  .object({
    table: z.string().min(1).max(256).openapi({ example: "products" }),
    text_fields: fieldListSchema.min(1).openapi({ example: ["name", "description"] }),
    columns_or_fields: fieldListSchema.optional().openapi({ description: "Columns kept as metadata; default all" }),
    include: includeListSchema.optional().openapi({
      description:
        "Related tables rendered into each document (docs/relations.md); they are captured too, and a change to one re-renders its dependents. Omit: the recorded ones",
    }),
    snapshot: z
      .enum(["no_data", "initial"])
      .default("no_data")
      .openapi({
        description:
          "no_data: stream changes only (the table was ingested before); initial: also send existing rows once " +
          "(rows already stored with the same content hash are not embedded again)",
      }),
  })
  .strict()
  .openapi("EnableCdcRequest");

const RegistrationSchema = z
  .object({
    source: z.string(),
    table: z.string(),
    tables: z.array(z.string()),
    connector: z.string(),
    slot: z.string(),
    publication: z.string(),
    topic: z.string(),
    snapshot: z.enum(["no_data", "initial"]),
    warnings: z
      .array(z.string())
      .optional()
      .openapi({ description: "Included tables whose REPLICA IDENTITY could not be set (the role does not own them)" }),
  })
  .openapi("CdcRegistration");

const countsSchema = z.object({
  events: z.number(),
  created: z.number(),
  updated: z.number(),
  deleted: z.number(),
  snapshot_reads: z.number(),
  truncates: z.number(),
  reembedded: z.number(),
  metadata_only: z.number(),
  removed: z.number(),
  unchanged: z.number(),
});

const StatusSchema = z
  .object({
    source: z.string(),
    connector: z.object({
      name: z.string(),
      state: z.string().openapi({ description: "RUNNING, PAUSED, FAILED, UNASSIGNED, missing or unreachable" }),
      tasks: z.array(z.object({ id: z.number(), state: z.string(), trace: z.string().optional() })),
    }),
    slot: z.object({
      name: z.string(),
      exists: z.boolean(),
      active: z.boolean(),
      confirmed_flush_lsn: z.string().nullable(),
    }),
    publication: z.string(),
    topic: z.string(),
    snapshot: z.enum(["no_data", "initial"]),
    enabled_at: z.string(),
    lag: z.object({
      current_lsn: z.string(),
      slot_lag_bytes: z.number().nullable().openapi({ description: "WAL not yet confirmed by Debezium" }),
      processed_lag_bytes: z
        .number()
        .nullable()
        .openapi({ description: "WAL past the last change the consumer applied" }),
    }),
    tables: z.array(
      z.object({
        table: z.string(),
        counts: countsSchema,
        last_event_at: z.string().nullable(),
        last_commit_at: z.string().nullable(),
        last_lsn: z.number().nullable(),
        last_lsn_text: z.string().nullable(),
      }),
    ),
  })
  .openapi("CdcStatus");

const DisabledSchema = z
  .object({
    source: z.string(),
    connector_deleted: z.boolean(),
    slot_dropped: z.boolean(),
    publication_dropped: z.boolean(),
  })
  .openapi("CdcDisabled");

const notFound = json(ErrorSchema, "Unknown source, or CDC not enabled for it");
const unavailable = json(ErrorSchema, "Kafka Connect, Redis or the store is unavailable");

const enableRoute = createRoute({
  method: "post",
  path: "/sources/{name}/cdc",
  tags: ["cdc"],
  summary: "Stream a PostgreSQL table's changes into the store (Debezium on Kafka Connect)",
  description:
    "Registers the source's Debezium connector with this table (one replication slot and publication per source). " +
    "Inserts and text changes are embedded, metadata-only changes rewrite metadata, deletes remove every chunk.",
  request: {
    params: nameParams,
    body: { required: true, content: { "application/json": { schema: EnableCdcSchema } } },
  },
  responses: {
    200: json(RegistrationSchema, "Connector registered"),
    ...errorResponses,
    ...bodyErrorResponses,
    404: notFound,
    503: unavailable,
  },
});

const statusRoute = createRoute({
  method: "get",
  path: "/sources/{name}/cdc",
  tags: ["cdc"],
  summary: "Connector state, replication lag and per-table progress of a source's CDC",
  request: { params: nameParams },
  responses: { 200: json(StatusSchema, "CDC status"), ...errorResponses, 404: notFound, 503: unavailable },
});

const disableRoute = createRoute({
  method: "delete",
  path: "/sources/{name}/cdc",
  tags: ["cdc"],
  summary: "Stop a source's CDC: delete the connector, drop its replication slot and publication",
  request: { params: nameParams },
  responses: { 200: json(DisabledSchema, "CDC stopped"), ...errorResponses, 404: notFound, 503: unavailable },
});

function cdcDependencies(context: AppContext) {
  return context.requireVectors();
}

/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({
  cdc: cdcCapability,
  connect: connectCapability,
  sources: sourcesCapability,
  vectors: vectorsCapability,
});

export function createCdcApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "admin" });

  app.openapi(enableRoute, async (c) => {
    const { name } = c.req.valid("param");
    const body = c.req.valid("json");
    const request = {
      source: name,
      table: body.table,
      textFields: body.text_fields,
      fields: body.columns_or_fields,
      include: body.include,
      snapshot: body.snapshot,
    };
    return c.json(await enableCdc(cdcDependencies(c.var.context), request), 200);
  });

  app.openapi(statusRoute, async (c) => {
    const { name } = c.req.valid("param");
    return c.json(await cdcStatus(cdcDependencies(c.var.context), name), 200);
  });

  app.openapi(disableRoute, async (c) => {
    const { name } = c.req.valid("param");
    return c.json(await disableCdc(cdcDependencies(c.var.context), name), 200);
  });

  return app;
}

export const app = createCdcApp(contextWith(capabilities));
export const handler = handle(app);
