import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppContext, createAppContext } from "../../../core/context/index.js";
import { createLogger } from "../../../core/logging/index.js";
import { createHealthApp } from "../../../functions/http/health.js";
import { createIngestAsyncApp } from "../../../functions/http/ingest-async.js";
import { createSearchApp } from "../../../functions/http/search.js";
import { InProcessBus } from "../../../functions/local/in-process-bus.js";
import { subscribeInProcess } from "../../../functions/local/workers.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, testSettings, uniqueName } from "../../support/services.js";

const rows = 150;

describe("npm run dev without a broker: the in-process bus runs the same consumer handlers", {
  timeout: 180_000,
}, () => {
  const source = uniqueName("devbus").replace(/-/g, "_");
  const handlerErrors: unknown[] = [];
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let bus: InProcessBus;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE notes (id int PRIMARY KEY, title text, body text);
       INSERT INTO notes SELECT n, 'Note ' || n, 'Reminder ' || n || ' to water the fern on the balcony.'
         FROM generate_series(1, ${rows}) AS n;
       UPDATE notes SET body = 'The espresso machine descaling schedule is every two weeks.' WHERE id = 77;`,
    );
    const settings = testSettings({
      KAFKA_BROKERS: "",
      REDIS_KEY_PREFIX: `${source}:`,
      EMBEDDING_GROUP_SIZE: "40",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    bus = new InProcessBus({
      topicPrefix: settings.KAFKA_TOPIC_PREFIX,
      onHandlerError: (_topic, error) => handlerErrors.push(error),
    });
    context = createAppContext(settings, createLogger(settings), { devBus: bus });
    subscribeInProcess(context, bus);
  });

  afterAll(async () => {
    await bus?.close();
    await context?.vectors?.deleteSource(source);
    await context?.close();
    await fixture?.drop();
  });

  it("completes an async batch with exact counts, and the rows become searchable", async () => {
    expect(context.kafka).toBeUndefined();
    const queued = await createIngestAsyncApp(() => context).request("/ingest-data-async", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ source, table_or_collection: "notes", text_fields: ["title", "body"] }),
    });
    expect(queued.status).toBe(202);
    const { batch_id } = await readJson(queued);

    await bus.idle();
    expect(handlerErrors).toEqual([]);
    const status = await readJson(await createIngestAsyncApp(() => context).request(`/ingest-status/${batch_id}`));
    expect(status).toMatchObject({
      status: "completed",
      total_documents: rows,
      processed_documents: rows,
      failed_documents: 0,
    });

    const search = await createSearchApp(() => context).request("/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "how often to descale the coffee machine", max_results: 1, filters: { source } }),
    });
    const { results } = await readJson(search);
    expect(results[0]?.metadata.row_key).toBe("77");
  });

  it("says in /health that messaging is the development-only bus", async () => {
    const response = await createHealthApp(() => context).request("/health");
    const body = await readJson(response);
    expect(body.components.kafka).toMatchObject({ status: "up" });
    expect(body.components.kafka?.detail).toContain("development only");
  });
});
