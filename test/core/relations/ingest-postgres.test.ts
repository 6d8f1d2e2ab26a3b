import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ingestTable } from "../../../core/ingest/index.js";
import { UnknownRelationsError } from "../../../core/relations/index.js";
import { searchDocuments } from "../../../core/search/index.js";
import { createIngestApp } from "../../../functions/http/ingest.js";
import { createSourcesApp } from "../../../functions/http/sources.js";
import { readJson } from "../../support/http.js";
import { openSyncFixture, type SyncFixture, syncNames } from "../../support/sync-fixture.js";
import { storedRecords } from "../../support/sync-oracle.js";
import { adaOrderText, orderIncludes, shopSql } from "./shop-fixture.js";

describe("join-aware ingestion on PostgreSQL: relations from the catalogue's foreign keys", () => {
  const names = syncNames("rel-ingest");
  const { pgSource } = names;
  let opened: SyncFixture;

  beforeAll(async () => {
    opened = await openSyncFixture(names, { setupSql: shopSql, pageSize: 3 });
  });
  afterAll(async () => {
    await opened?.close();
  });

  const ingestOrders = (include?: typeof orderIncludes) =>
    ingestTable(opened.dependencies, {
      source: pgSource,
      table: "orders",
      fields: ["status", "ordered_on"],
      textFields: ["status"],
      include,
    });
  const textOf = async (id: number) =>
    (await storedRecords(opened.context, pgSource, "orders")).find(
      (record) => record.id === `${pgSource}:orders:${id}`,
    );

  it("renders the customer, the first lines by line number and each line's product as labelled lines", async () => {
    const summary = await ingestOrders(orderIncludes);
    expect(summary).toMatchObject({ documents: 7, skipped: 0, failed: 0 });
    const ada = await textOf(100);
    expect(ada?.content).toBe(adaOrderText);
    // The related key is metadata, so filters can use it.
    expect(ada?.metadata).toMatchObject({ customer_id: 1, status: "shipped", ordered_on: "2026-03-02" });
    // An order with no customer renders no customer lines; it is still a document.
    expect((await textOf(106))?.content).toBe("status: processing");
  });

  it("keeps a one-to-many relation to its limit, chosen by order_by, the same rows every time", async () => {
    const alan = await textOf(102);
    const lines = alan?.content.split("\n").filter((line) => line.startsWith("lines: "));
    expect(lines).toEqual([
      "lines: quantity: 1; product.name: Aster Espresso Machine Plus",
      "lines: quantity: 1; product.name: Orbit Standing Desk Max",
      "lines: quantity: 1; product.name: Kestrel Headlamp Pro",
    ]);
    await ingestTable(opened.dependencies, {
      source: pgSource,
      table: "orders",
      fields: ["status"],
      textFields: ["status"],
      include: [
        { table: "order_lines", label: "lines", fields: ["line_no"], limit: 2, order_by: "line_no", order: "desc" },
      ],
    });
    expect((await textOf(102))?.content).toBe("status: shipped\nlines: line_no: 5\nlines: line_no: 4");
  });

  it("answers a question only a related row can answer, and filters on the related key", async () => {
    await ingestOrders(orderIncludes);
    const found = await searchDocuments(opened.context, {
      query: "What did Grace Hopper order?",
      maxResults: 2,
      filters: { source: pgSource, table: "orders" },
    });
    expect(found.map((match) => match.id).sort()).toEqual([`${pgSource}:orders:101`, `${pgSource}:orders:105`]);
    const filtered = await searchDocuments(opened.context, {
      query: "order",
      maxResults: 10,
      filters: { source: pgSource, table: "orders", customer_id: 1 },
    });
    expect(filtered.map((match) => match.id).sort()).toEqual([`${pgSource}:orders:100`, `${pgSource}:orders:104`]);

    // The control: the same orders without the include hold no customer name to find.
    await ingestOrders();
    const plain = await storedRecords(opened.context, pgSource, "orders");
    expect(plain.filter((record) => record.content.includes("Grace Hopper"))).toEqual([]);
  });

  it("fetches related rows once per relation per page, with the page's keys bound as one parameter", async () => {
    const connector = opened.context.sources.get(pgSource);
    const related = vi.spyOn(connector, "related");
    try {
      await ingestOrders(orderIncludes);
      expect(related.mock.calls.map(([request]) => request.table).sort()).toEqual([
        "customers",
        "order_lines",
        "products",
      ]);
      const customers = related.mock.calls.find(([request]) => request.table === "customers")?.[0];
      expect(customers?.keyFields).toEqual(["id"]);
      expect([...(customers?.keys ?? [])].map(([key]) => key).sort()).toEqual([1, 2, 3, 4]);
    } finally {
      related.mockRestore();
    }
  });

  it("refuses unknown and ambiguous relations, tables and fields in one error naming each with candidates", async () => {
    const attempt = ingestTable(opened.dependencies, {
      source: pgSource,
      table: "orders",
      textFields: ["status"],
      include: [
        { table: "custmers", fields: ["name"] },
        { table: "customers", fields: ["nmae"] },
        { table: "products", fields: ["name"] },
        { table: "order_lines", fields: ["quantity"], include: [{ table: "products", fields: ["colour"] }] },
      ],
    });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownRelationsError);
    const problems = (error as UnknownRelationsError).problems;
    expect(problems.map((problem) => problem.include)).toEqual([
      "custmers",
      "customers",
      "products",
      "order_lines.products",
    ]);
    expect(problems[0]?.candidates).toContain("customers");
    expect(problems[1]?.candidates).toEqual(["id", "name", "city", "updated_at"]);
    expect(problems[2]?.problem).toMatch(/no foreign key joins 'orders' and 'products'/);
    expect(problems[2]?.candidates).toEqual(["customers (via customer_id)", "order_lines (via order_id)"]);
    expect(problems[3]?.problem).toMatch(/'colour'/);

    const ambiguous = await ingestTable(opened.dependencies, {
      source: pgSource,
      table: "transfers",
      textFields: ["note"],
      include: [{ table: "accounts", fields: ["owner"] }],
    }).catch((caught: unknown) => caught);
    expect((ambiguous as UnknownRelationsError).problems).toEqual([
      {
        include: "accounts",
        problem: "several foreign keys join 'transfers' and 'accounts': name one with via",
        candidates: ["from_account", "to_account"],
      },
    ]);
    await ingestTable(opened.dependencies, {
      source: pgSource,
      table: "transfers",
      textFields: ["note"],
      include: [{ table: "accounts", via: "to_account", label: "payee", fields: ["owner"] }],
    });
    const [transfer] = await storedRecords(opened.context, pgSource, "transfers");
    expect(transfer?.content).toBe("note: rent share\npayee.owner: Grace Hopper");
  });

  it("lists a table's foreign keys both ways in POST /schema", async () => {
    const response = await createSourcesApp(() => opened.context).request("/schema", {
      method: "POST",
      body: JSON.stringify({ source: pgSource, table_or_collection: "orders" }),
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(200);
    const { foreignKeys } = (await readJson(response)).table;
    expect(foreignKeys.outgoing).toEqual([
      {
        name: "orders_customer_id_fkey",
        table: "orders",
        column: "customer_id",
        referencedTable: "customers",
        referencedColumn: "id",
        columns: ["customer_id"],
        referencedColumns: ["id"],
      },
    ]);
    expect(foreignKeys.incoming).toEqual([
      {
        name: "order_lines_order_id_fkey",
        table: "order_lines",
        column: "order_id",
        referencedTable: "orders",
        referencedColumn: "id",
        columns: ["order_id"],
        referencedColumns: ["id"],
      },
    ]);
  });

  it("answers an unknown relation over HTTP with a 400 naming it, and an unknown include key with a 400", async () => {
    const app = createIngestApp(() => opened.context);
    const post = async (body: unknown) => {
      const response = await app.request("/ingest-data", {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
      return { status: response.status, body: await readJson(response) };
    };
    const base = { source: pgSource, table_or_collection: "orders", text_fields: ["status"] };
    const unknown = await post({ ...base, include: [{ table: "warehouses", fields: ["name"] }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/'warehouses': no table or collection 'warehouses'/);
    expect(unknown.body.error.details.relations[0].candidates).toContain("customers");
    const misspelt = await post({ ...base, include: [{ table: "customers", fields: ["name"], limt: 3 }] });
    expect(misspelt.status).toBe(400);
    expect(JSON.stringify(misspelt.body)).toMatch(/limt/);
    const tooMany = await post({
      ...base,
      include: [
        {
          table: "order_lines",
          fields: ["quantity"],
          limit: 1_000,
          include: [{ table: "products", fields: ["name"] }],
        },
      ],
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/INCLUDE_MAX_RELATED_ROWS/);
  });
});
