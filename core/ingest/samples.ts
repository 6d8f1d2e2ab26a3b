import type { SourceRegistry } from "../sources/index.js";
import type { IngestDependencies, IngestSummary } from "./pipeline.js";
import { ingestTable } from "./pipeline.js";

/** What `npm start` ingests on first start: the bundled sample data, when its sources are configured. */
export const sampleIngestions = [
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
] as const;

/** What `npm start` asks once the samples are in, so the first thing a user sees is an answer from them. */
export const sampleQuestion = { source: "samples", message: "Which hiking backpacks come with a rain cover?" } as const;

/**
 * Ingests each sample whose source is configured and whose collection is still empty, so a
 * fresh start can answer questions at once and a restart costs nothing.
 */
export async function ingestSamplesIfEmpty(
  dependencies: IngestDependencies & { sources: SourceRegistry },
): Promise<IngestSummary[]> {
  const configured = new Set(dependencies.sources.list().map((source) => source.name));
  const summaries: IngestSummary[] = [];
  for (const sample of sampleIngestions) {
    if (!configured.has(sample.source)) continue;
    if ((await dependencies.vectors.count(sample.source)) > 0) continue;
    summaries.push(
      await ingestTable(dependencies, {
        source: sample.source,
        table: sample.table,
        fields: sample.fields,
        textFields: sample.textFields,
      }),
    );
  }
  return summaries;
}
