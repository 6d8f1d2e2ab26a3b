import type { ServerType } from "@hono/node-server";
import { serve } from "@hono/node-server";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createLocalApp } from "../../../functions/local/server.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { setDefaultContext } from "../../../functions/shared/default-context.js";
import { adaOrderText, orderIncludes, shopSql, warehouseSql } from "../../core/relations/shop-fixture.js";
import { createTestContext } from "../../support/app-context.js";
import { launchChromium, screenshotFolder } from "../../support/browser.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { freePort } from "../../support/processes.js";
import { testServices, uniqueName } from "../../support/services.js";
import { storedRecords } from "../../support/sync-oracle.js";
import { releaseRun } from "../../support/test-run.js";

describe("the page's ingestion form offers a table's foreign keys as includes, in Chromium", {
  timeout: 90_000,
}, () => {
  const run = uniqueName("rel-web").replace(/-/g, "_");
  const source = `rel_web_${run}`;
  const topicPrefix = `${run}.`;
  const shot = screenshotFolder("web-app-relations");
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let workers: { stop(): Promise<void> } | undefined;
  let server: ServerType | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let base: string;

  beforeAll(async () => {
    fixture = await createPostgresFixture(`${shopSql}\n${warehouseSql}`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    context = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_GROUP_PREFIX: run,
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    setDefaultContext(context);
    [workers, browser] = await Promise.all([startWorkers(context), launchChromium()]);
    server = serve({ fetch: createLocalApp().fetch, hostname: "127.0.0.1", port });
    page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await workers?.stop();
    await releaseRun(context, { sources: [source], topicPrefix, redisPrefix: `${run}:` });
    await fixture?.drop();
  }, 60_000);

  it("ingests orders with the checked customer relation and the JSON box's lines, rendered into each document", async () => {
    await page.goto(`${base}/app`);
    await page.click("#nav-sources");
    await page.locator(`#ingest-source option[value="${source}"]`).waitFor({ state: "attached" });
    await page.selectOption("#ingest-source", source);
    await page.locator('#ingest-table option[value="orders"]').waitFor({ state: "attached" });
    await page.selectOption("#ingest-table", "orders");
    await page.locator('#ingest-fields input[value="status"]').waitFor();
    // Both directions of the catalogue: the customer (many-to-one) and the order's lines (one-to-many).
    const offered = await page
      .locator("#ingest-relations input")
      .evaluateAll((boxes) => boxes.map((box) => (box as unknown as { value: string }).value));
    expect(offered).toEqual(["customers:customer_id", "order_lines:order_id"]);
    await page.check('#ingest-fields input[value="status"]');
    await page.check('#ingest-relations input[value="customers:customer_id"]');
    await page.fill("#ingest-include", JSON.stringify([orderIncludes[1]]));
    await shot(page, "ingest-form-relations");
    await page.click("#ingest-start");

    const batch = page.locator("#batch-list li.batch").first();
    await batch.waitFor();
    await expect.poll(() => batch.getAttribute("data-status"), { timeout: 60_000 }).toBe("completed");
    const ada = (await storedRecords(context, source, "orders")).find((record) => record.id === `${source}:orders:100`);
    expect(ada?.content).toBe(adaOrderText);
  });

  it("offers a composite foreign key as one relation, both ways, and ingests shipments carrying their warehouse", async () => {
    await page.fill("#ingest-include", "");
    await page.selectOption("#ingest-table", "warehouses");
    await page.locator('#ingest-fields input[value="name"]').waitFor();
    const boxes = (selector: string) =>
      page.locator(selector).evaluateAll((found) => found.map((box) => (box as unknown as { value: string }).value));
    // The one-to-many direction: a warehouse's shipments, through both key columns.
    await expect.poll(() => boxes("#ingest-relations input")).toEqual(["shipments:region,warehouse_code"]);

    await page.selectOption("#ingest-table", "shipments");
    await page.locator('#ingest-fields input[value="status"]').waitFor();
    await expect.poll(() => boxes("#ingest-relations input")).toEqual(["warehouses:region,warehouse_code"]);
    const offered = page.locator("#ingest-relations label", { has: page.locator("input") });
    await expect.poll(() => offered.innerText()).toMatch(/warehouses \(via region, warehouse_code\)/);
    await page.check('#ingest-fields input[value="status"]');
    await page.check('#ingest-relations input[value="warehouses:region,warehouse_code"]');
    await shot(page, "ingest-form-composite-key");
    await page.click("#ingest-start");

    // The first test's batch is in the list too: this one is the batch of the shipments table.
    const batch = page.locator("#batch-list li.batch", { hasText: `${source} · shipments` });
    await batch.waitFor();
    await expect.poll(() => batch.getAttribute("data-status"), { timeout: 60_000 }).toBe("completed");
    const shipments = new Map(
      (await storedRecords(context, source, "shipments")).map((record) => [record.id.split(":").at(-1), record]),
    );
    // The checked relation renders the warehouse's text columns, matched on (region, code) together.
    expect(shipments.get("1")?.content).toBe("status: packed\nwarehouses.region: eu\nwarehouses.name: Rotterdam Dock");
    expect(shipments.get("2")?.content).toBe("status: in transit\nwarehouses.region: us\nwarehouses.name: Reno Hub");
    expect(shipments.get("4")?.content).toBe("status: packed\nwarehouses.region: us\nwarehouses.name: Newark Yard");
    // A null key column matches nothing; the shipment is still a document.
    expect(shipments.get("6")?.content).toBe("status: lost");
    expect(shipments.get("1")?.metadata).toMatchObject({ region: "eu", warehouse_code: 1 });
  });

  it("shows the server's 400 naming a bad include from the JSON box", async () => {
    await page.selectOption("#ingest-table", "orders");
    await page.locator('#ingest-fields input[value="status"]').waitFor();
    await page.check('#ingest-fields input[value="status"]');
    await page.fill("#ingest-include", JSON.stringify([{ table: "warehouses", fields: ["name"] }]));
    await page.uncheck('#ingest-relations input[value="customers:customer_id"]');
    await page.click("#ingest-start");
    await expect.poll(() => page.locator("#notice").innerText(), { timeout: 10_000 }).toMatch(/warehouses/);
  });
});
