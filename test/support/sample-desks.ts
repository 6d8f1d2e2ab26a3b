import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";

/**
 * The cheapest standing desk in the bundled samples, read from the CSV itself (not from the
 * service), so the test checks the service's query against the file rather than against itself.
 */
export function cheapestStandingDesk(): { name: string; price: number; count: number } {
  const rows = parse(readFileSync("data/samples/products.csv"), { columns: true }) as Record<string, string>[];
  const desks = rows
    .filter((row) => (row.name ?? "").toLowerCase().includes("standing desk"))
    .map((row) => ({ name: row.name ?? "", price: Number(row.price) }))
    .sort((a, b) => a.price - b.price);
  const cheapest = desks[0];
  if (!cheapest) throw new Error("the samples hold no standing desk");
  return { ...cheapest, count: desks.length };
}

/** The spec a model writes for "what does the cheapest standing desk cost?". */
export const cheapestDeskSpec = (source: string) => ({
  source,
  table: "products.csv",
  filters: [{ column: "name", op: "contains", value: "standing desk" }],
  columns: ["name", "price"],
  order_by: [{ key: "price" }],
  limit: 1,
});
