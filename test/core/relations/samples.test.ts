import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { ingestTable, sampleIngestions } from "../../../core/ingest/index.js";
import { searchDocuments } from "../../../core/search/index.js";
import { createTestContext } from "../../support/app-context.js";
import { uniqueName } from "../../support/services.js";

type CsvRow = Record<string, string>;
const readCsv = (file: string): CsvRow[] =>
  parse(readFileSync(path.join(import.meta.dirname, "../../../data/samples", file)), { columns: true });

describe("the bundled shop samples: a question that needs a join, answered by search", () => {
  const source = `rel_${uniqueName("samples").replace(/-/g, "_")}`;
  const context = createTestContext({ SOURCES: JSON.stringify([{ name: source, kind: "csv", path: "samples" }]) });
  afterAll(async () => {
    await context.vectors?.deleteSource(source);
    await context.close();
  });

  const customers = readCsv("customers.csv");
  const orders = readCsv("orders.csv");
  const lines = readCsv("order_lines.csv");
  const products = new Map(readCsv("products.csv").map((row) => [row.id, row]));

  it("has a few hundred normalised rows whose keys all resolve, over the existing products", () => {
    expect(customers.length + orders.length + lines.length).toBeGreaterThan(300);
    const customerIds = new Set(customers.map((row) => row.id));
    const orderIds = new Set(orders.map((row) => row.id));
    expect(orders.filter((row) => !customerIds.has(row.customer_id ?? ""))).toEqual([]);
    expect(lines.filter((row) => !orderIds.has(row.order_id ?? "") || !products.has(row.product_id ?? ""))).toEqual([]);
  });

  it("finds a customer's orders by their name, which only the customers table holds, with what they ordered", async () => {
    const sample = sampleIngestions.find((entry) => entry.table === "orders.csv");
    if (!context.vectors || !sample) throw new Error("chroma and the orders sample are expected");
    const summary = await ingestTable({ ...context, vectors: context.vectors }, { ...sample, source });
    expect(summary.documents).toBe(orders.length);

    // The customer with the most orders, and a full name no other customer shares a part of.
    const counts = new Map<string, number>();
    for (const order of orders) counts.set(order.customer_id ?? "", (counts.get(order.customer_id ?? "") ?? 0) + 1);
    const parts = (name: string) => name.split(" ");
    const distinct = customers.filter((customer) =>
      customers.every(
        (other) =>
          other === customer || !parts(other.name ?? "").some((part) => parts(customer.name ?? "").includes(part)),
      ),
    );
    const customer = distinct.sort((a, b) => (counts.get(b.id ?? "") ?? 0) - (counts.get(a.id ?? "") ?? 0))[0];
    if (!customer) throw new Error("the samples have a customer with a name of their own");
    const theirs = orders
      .filter((order) => order.customer_id === customer.id)
      .map((order) => `${source}:orders.csv:${order.id}`);
    expect(theirs.length).toBeGreaterThan(1);

    const found = await searchDocuments(context, {
      query: `What did ${customer.name} order?`,
      maxResults: theirs.length,
      filters: { source, table: "orders.csv" },
    });
    expect(found.map((match) => match.id).sort()).toEqual([...theirs].sort());
    const first = found[0];
    const order = orders.find((row) => first?.id.endsWith(`:${row.id}`));
    const productNames = lines
      .filter((line) => line.order_id === order?.id)
      .map((line) => products.get(line.product_id ?? "")?.name);
    for (const name of productNames) expect(first?.content).toContain(`product.name: ${name}`);
    expect(first?.content).toContain(`customer.name: ${customer.name}`);
  });
});
