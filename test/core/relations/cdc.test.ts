import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { searchDocuments } from "../../../core/search/index.js";
import { stateStore } from "../../../core/sync/index.js";
import { CdcTestRun } from "../../support/cdc-run.js";
import { waitFor } from "../../support/processes.js";
import { storedRecords } from "../../support/sync-oracle.js";
import { adaOrderText, orderIncludes, shopSql, warehouseSql } from "./shop-fixture.js";

/**
 * CDC for a table with includes: enabling it captures the related tables too, and a change to a
 * related row re-renders exactly its dependents (found through the join keys) within seconds.
 * Uses the Kafka Connect already running (scripts/services.sh); names are this run's own.
 */
describe("change data capture of related rows: Debezium → cdc-consumer → dependents re-rendered", () => {
  const run = new CdcTestRun("rel-cdc", "rel_cdc");
  const { source, sql } = run;
  let context: AppContext;
  let embedder: CdcTestRun["embedder"];
  const contents = async () =>
    new Map(
      (await storedRecords(context, source, "orders")).map((record) => [
        Number(record.id.split(":").at(-1)),
        record.content,
      ]),
    );
  /** Which orders the embedder was given since the last reset, told by the texts it embedded. */
  const embeddedOrders = async () => {
    const byText = new Map([...(await contents())].map(([id, content]) => [content, id]));
    return embedder.texts.map((text) => byText.get(text)).sort();
  };

  beforeAll(async () => {
    context = await run.setUp(`${shopSql}\n${warehouseSql}`);
    embedder = run.embedder;
    await run.ingest("orders", { text_fields: ["status"], include: orderIncludes });
    // Shipments render their warehouse through a composite foreign key, (region, warehouse_code).
    await run.ingest("shipments", { text_fields: ["status"], include: [{ table: "warehouses", fields: ["name"] }] });
    // As after an ingestion through /ingest-data, which records no related rows: what CDC knows of
    // each order line's order is what enabling it records.
    await stateStore(context).replaceRelatedRows(source, "orders", "lines", new Map());
    await run.startConsumer();
    // The include is the recorded one (from the sync above): the related tables are captured with the table.
    const response = await run.enable({ table: "orders", text_fields: ["status"] });
    expect(response.status).toBe(200);
    const registered = (await response.json()) as { tables: string[] };
    expect(registered.tables).toEqual(["customers", "order_lines", "orders", "products"]);
    const shipments = await run.enable({ table: "shipments", text_fields: ["status"] });
    expect(shipments.status).toBe(200);
    // Order lines join their order on order_id, not their key: their delete events must carry the old row.
    const identities = await sql(
      "SELECT c.relname AS table, c.relreplident AS identity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1",
      [run.fixture.schema],
    );
    expect(Object.fromEntries(identities.rows.map((row) => [row.table, row.identity]))).toMatchObject({
      order_lines: "f",
      customers: "d",
      products: "d",
      orders: "d",
    });
    await run.streaming();
  }, 120_000);

  afterAll(() => run.tearDown(), 60_000);

  it("a renamed customer reaches exactly their orders, searchable under the new name", async () => {
    embedder.reset();
    await sql("UPDATE @customers SET name = 'Grace Brewster Hopper' WHERE id = 2");
    const committed = performance.now();
    await waitFor(
      async () =>
        [...(await contents()).values()].filter((text) => text.includes("Grace Brewster Hopper")).length === 2,
      30_000,
      "the rename to reach both orders",
    );
    console.info(`related rename commit-to-searchable ms: ${Math.round(performance.now() - committed)}`);
    expect(await embeddedOrders()).toEqual([101, 105]);
    const found = await searchDocuments(context, {
      query: "Grace Brewster Hopper",
      maxResults: 2,
      filters: { source, table: "orders" },
    });
    expect(found.map((match) => match.id).sort()).toEqual([`${source}:orders:101`, `${source}:orders:105`]);
  }, 60_000);

  it("a renamed product reaches the orders whose lines render it, through the two-step chain", async () => {
    embedder.reset();
    await sql("UPDATE @products SET name = 'Aster Espresso Machine Plus II' WHERE id = 12");
    await waitFor(
      async () => (await contents()).get(101)?.includes("product.name: Aster Espresso Machine Plus II") ?? false,
      30_000,
      "the product rename to reach order 101",
    );
    // Orders 101 and 102 hold it within their first three lines.
    await waitFor(async () => (await embeddedOrders()).length >= 2, 10_000, "both orders embedded");
    expect(await embeddedOrders()).toEqual([101, 102]);
  }, 60_000);

  it("a new order line re-renders its order; the order's own change keeps its related lines", async () => {
    await sql("INSERT INTO @order_lines (id, order_id, line_no, product_id, quantity) VALUES (1010, 103, 2, 10, 1)");
    await waitFor(
      async () => (await contents()).get(103)?.includes("product.name: Orbit Standing Desk Max") ?? false,
      30_000,
      "the new line to reach order 103",
    );
    await sql("UPDATE @orders SET status = 'shipped' WHERE id = 103");
    await waitFor(
      async () => (await contents()).get(103)?.startsWith("status: shipped") ?? false,
      30_000,
      "the status change",
    );
    expect((await contents()).get(103)).toBe(
      [
        "status: shipped",
        "customer.name: Katherine Johnson",
        "customer.city: Hampton",
        "lines: quantity: 2; product.name: Solace Kettle Mini",
        "lines: quantity: 1; product.name: Orbit Standing Desk Max",
      ].join("\n"),
    );
  }, 60_000);

  it("a deleted order line re-renders its order without the line (the delete event carries its order_id)", async () => {
    embedder.reset();
    await sql("DELETE FROM @order_lines WHERE id = 1008");
    await waitFor(
      async () => !((await contents()).get(103)?.includes("Solace Kettle Mini") ?? true),
      30_000,
      "the deleted line to leave order 103",
    );
    expect((await contents()).get(103)).toBe(
      [
        "status: shipped",
        "customer.name: Katherine Johnson",
        "customer.city: Hampton",
        "lines: quantity: 1; product.name: Orbit Standing Desk Max",
      ].join("\n"),
    );
    expect(await embeddedOrders()).toEqual([103]);
  }, 60_000);

  it("without REPLICA IDENTITY FULL a deleted line still leaves its order, found through the recorded key → order map", async () => {
    // As on a table the source's role does not own: the delete event now holds the line's key alone.
    await sql("ALTER TABLE @order_lines REPLICA IDENTITY DEFAULT");
    embedder.reset();
    await sql("DELETE FROM @order_lines WHERE id = 1009");
    await waitFor(
      async () => !((await contents()).get(104)?.includes("Lumen Hiking Backpack Classic") ?? true),
      30_000,
      "the deleted line to leave order 104",
    );
    expect((await contents()).get(104)).toBe(
      ["status: delivered", "customer.name: Ada Lovelace", "customer.city: London"].join("\n"),
    );
    expect(await embeddedOrders()).toEqual([104]);
  }, 60_000);

  it("a line moved to another order leaves the first (the update's event holds only the new order)", async () => {
    embedder.reset();
    await sql("UPDATE @order_lines SET order_id = 100, line_no = 3 WHERE id = 1010");
    await waitFor(
      async () => !((await contents()).get(103)?.includes("Orbit Standing Desk Max") ?? true),
      30_000,
      "the moved line to leave order 103",
    );
    await waitFor(async () => (await embeddedOrders()).length >= 2, 10_000, "both orders embedded");
    const stored = await contents();
    expect(stored.get(103)).toBe(
      ["status: shipped", "customer.name: Katherine Johnson", "customer.city: Hampton"].join("\n"),
    );
    expect(stored.get(100)).toBe(
      [adaOrderText, "lines: quantity: 1; product.name: Orbit Standing Desk Max"].join("\n"),
    );
    expect(await embeddedOrders()).toEqual([100, 103]);
  }, 60_000);

  it("a truncated line table leaves every order that rendered its lines; a line inserted after it stays", async () => {
    embedder.reset();
    await sql(`BEGIN; TRUNCATE @order_lines;
      INSERT INTO @order_lines (id, order_id, line_no, product_id, quantity) VALUES (1011, 101, 1, 11, 4); COMMIT;`);
    const expected = new Map([
      [100, ["status: shipped", "customer.name: Ada Lovelace", "customer.city: London"]],
      [
        101,
        [
          "status: delivered",
          "customer.name: Grace Brewster Hopper",
          "customer.city: Arlington",
          "lines: quantity: 4; product.name: Kestrel Headlamp Pro",
        ],
      ],
      [102, ["status: shipped", "customer.name: Alan Turing", "customer.city: Manchester"]],
    ]);
    await waitFor(
      async () => {
        const stored = await contents();
        return [...expected].every(([id, lines]) => stored.get(id) === lines.join("\n"));
      },
      30_000,
      "the truncate to reach orders 100, 101 and 102",
    );
    expect(await embeddedOrders()).toEqual([100, 101, 102]);
  }, 60_000);

  it("a composite foreign key: a renamed warehouse reaches the shipments at its (region, code), not those sharing one column", async () => {
    const shipments = async () =>
      new Map(
        (await storedRecords(context, source, "shipments")).map((record) => [
          Number(record.id.split(":").at(-1)),
          record.content,
        ]),
      );
    embedder.reset();
    await sql("UPDATE @warehouses SET name = 'Rotterdam Dock Two' WHERE region = 'eu' AND code = 1");
    await waitFor(
      async () => [...(await shipments()).values()].filter((text) => text.includes("Rotterdam Dock Two")).length === 2,
      30_000,
      "the rename to reach shipments 1 and 3",
    );
    const stored = await shipments();
    expect(stored.get(1)).toBe("status: packed\nwarehouses.name: Rotterdam Dock Two");
    expect(stored.get(3)).toBe("status: delivered\nwarehouses.name: Rotterdam Dock Two");
    expect(stored.get(4)).toBe("status: packed\nwarehouses.name: Newark Yard");
    expect(stored.get(5)).toBe("status: returned\nwarehouses.name: Lyon Depot");
    const byText = new Map([...stored].map(([id, content]) => [content, id]));
    expect(embedder.texts.map((text) => byText.get(text)).sort()).toEqual([1, 3]);
  }, 60_000);
});
