import type { IncludeSpec } from "../relations/index.js";
import type { SourceRegistry } from "../sources/index.js";
import type { IngestDependencies, IngestSummary } from "./pipeline.js";
import { ingestTable } from "./pipeline.js";

interface SampleIngestion {
  source: string;
  table: string;
  fields: readonly string[];
  textFields: readonly string[];
  include?: readonly IncludeSpec[];
}

/** What `npm start` ingests on first start: the bundled sample data, when its sources are configured. */
export const sampleIngestions: readonly SampleIngestion[] = [
  {
    source: "samples",
    table: "products.csv",
    fields: ["id", "sku", "model", "name", "brand", "category", "price", "in_stock", "rating", "added_on"],
    // The identifiers are in the text, so a search by SKU or model number can find the row; last,
    // because codes at the front pull the embedding away from what the product is.
    textFields: ["name", "category", "description", "sku", "model"],
  },
  {
    source: "samples-jsonl",
    table: "articles.jsonl",
    fields: ["id", "section", "title", "views", "updated_at"],
    textFields: ["title", "body"],
  },
  {
    // An order row alone is ids and a date; joined, it says who ordered what (docs/relations.md).
    source: "samples",
    table: "orders.csv",
    fields: ["id", "customer_id", "ordered_on", "status", "shipping"],
    textFields: ["status", "ordered_on", "shipping"],
    include: [
      {
        table: "customers.csv",
        local_field: "customer_id",
        foreign_field: "id",
        fields: ["name", "city", "country"],
      },
      {
        table: "order_lines.csv",
        label: "lines",
        local_field: "id",
        foreign_field: "order_id",
        fields: ["quantity", "unit_price"],
        order_by: "line_no",
        include: [{ table: "products.csv", local_field: "product_id", foreign_field: "id", fields: ["name"] }],
      },
    ],
  },
];

/** What `npm start` asks once the samples are in, so the first thing a user sees is an answer from them. */
export const sampleQuestion = {
  source: "samples",
  table: "products.csv",
  message: "Which hiking backpacks come with a rain cover?",
} as const;

/**
 * Ingests each sample whose source is configured and whose table is not stored yet, so a fresh
 * start can answer questions at once and a restart costs nothing.
 */
export async function ingestSamplesIfEmpty(
  dependencies: IngestDependencies & { sources: SourceRegistry },
): Promise<IngestSummary[]> {
  const configured = new Set(dependencies.sources.list().map((source) => source.name));
  const summaries: IngestSummary[] = [];
  for (const sample of sampleIngestions) {
    if (!configured.has(sample.source)) continue;
    const stored = await dependencies.vectors.pageTable(sample.source, sample.table, { limit: 1, offset: 0 });
    if (stored.length > 0) continue;
    summaries.push(await ingestTable(dependencies, sample));
  }
  return summaries;
}
