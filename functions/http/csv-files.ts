import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { sampleCsv, validateCsv } from "../../core/sources/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { bodyErrorResponses, errorResponses } from "./shared/schemas.js";

const filePath = z
  .string()
  .min(1)
  .max(1_024)
  .openapi({ description: "Path inside the server's data folder", example: "samples/products.csv" });

const ValidationSchema = z
  .object({
    valid: z.boolean(),
    file_path: z.string(),
    columns: z.array(z.string()),
    row_count: z.number(),
    errors: z.array(z.string()),
  })
  .openapi("CsvValidation");

const SampleSchema = z
  .object({ file_path: z.string(), columns: z.array(z.string()), rows: z.array(z.record(z.string(), z.string())) })
  .openapi("CsvSample");

const validateRoute = createRoute({
  method: "post",
  path: "/validate-csv",
  tags: ["files"],
  summary: "Check a CSV file in the data folder: header, row count, ragged rows",
  request: {
    body: { required: true, content: { "application/json": { schema: z.object({ file_path: filePath }).strict() } } },
  },
  responses: {
    200: { description: "Validation report", content: { "application/json": { schema: ValidationSchema } } },
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

const sampleRoute = createRoute({
  method: "get",
  path: "/csv-sample",
  tags: ["files"],
  summary: "The header and first rows of a CSV file in the data folder",
  request: {
    query: z.object({ file_path: filePath, rows: z.coerce.number().int().min(1).max(100).default(5) }),
  },
  responses: {
    200: { description: "Sample rows", content: { "application/json": { schema: SampleSchema } } },
    ...errorResponses,
  },
});

/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({});

export function createCsvFilesApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities, access: "admin" });

  app.openapi(validateRoute, async (c) => {
    const { file_path } = c.req.valid("json");
    return c.json(await validateCsv(c.var.context.settings.DATA_DIR, file_path), 200);
  });

  app.openapi(sampleRoute, async (c) => {
    const { file_path, rows } = c.req.valid("query");
    return c.json(await sampleCsv(c.var.context.settings.DATA_DIR, file_path, rows), 200);
  });

  return app;
}

export const app = createCsvFilesApp(contextWith(capabilities));
export const handler = handle(app);
