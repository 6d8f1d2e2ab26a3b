import { type Admin, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson } from "../../support/http.js";
import { type PrivateService, privateService } from "../../support/private-service.js";
import { freePort, waitFor } from "../../support/processes.js";
import { scratchDatabase } from "../../support/scratch-database.js";
import { testServices, uniqueName } from "../../support/services.js";
import { type StartedServer, startScript } from "./start-fixture.js";

/**
 * `npm start` as a newcomer runs it: START_SERVICES left on, so the script brings the services up
 * (already installed and running here, which `up` only checks) and the server starts its Kafka
 * workers on the real broker. start.test.ts covers the no-broker path.
 */
describe("npm start on the real path: services checked, Kafka workers started", { timeout: 300_000 }, () => {
  const run = uniqueName("startreal").replace(/-/g, "_");
  let chroma: PrivateService;
  // Its own keyword database: npm start fills it with the samples, which other tests must not meet.
  let keywords: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
  let server: StartedServer;
  let base: string;
  // Connected before the start: kafkajs loads its protocol modules on first connect, and loading them
  // only in the clean-up after a minutes-long run failed once ("Cannot find module './v2/request'").
  let admin: Admin | undefined;

  beforeAll(async () => {
    admin = new Kafka({ brokers: [testServices.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    // An empty Chroma of its own, so the samples really go in on this start.
    chroma = await privateService("chroma");
    await chroma.up();
    keywords = await scratchDatabase("start_services");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      CHROMA_URL: chroma.url,
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: `${run}:`,
      SEARCH_DATABASE_URL: keywords.url,
      KAFKA_BROKERS: testServices.kafkaBrokers,
      // Its own topics and consumer groups on the shared broker.
      KAFKA_TOPIC_PREFIX: `${run}.`,
      KAFKA_GROUP_PREFIX: run,
      LLM_PROVIDER: "extractive",
    };
    delete environment.START_SERVICES;
    server = await startScript(environment);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await chroma?.destroy();
    await keywords?.drop();
    if (admin) {
      const created = (await admin.listTopics()).filter((topic) => topic.startsWith(`${run}.`));
      await admin.deleteTopics({ topics: created }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 60_000);

  it("checks the services instead of skipping them, and answers the sample question", () => {
    // services.sh's `up` on a running service says so; with START_SERVICES=0 it would not run at all.
    for (const service of ["postgres", "redis", "kafka", "chroma", "model"])
      expect(server.output).toContain(`${service} already up`);
    expect(server.output).toContain("sample data ingested");
    const answer = /Answer \(extractive\): ([\s\S]*?)\nSources:/.exec(server.output)?.[1] ?? "";
    expect(answer).toMatch(/rain cover/i);
    expect(server.output).not.toMatch(/Kafka workers not started/);
    expect(server.output).not.toMatch(/"level":(50|60)/);
  });

  it("reports the real broker in /health, not the in-process bus", async () => {
    const health = await readJson(await fetch(`${base}/health`));
    expect(health.components.kafka.status).toBe("up");
    expect(health.components.kafka.detail).toMatch(/broker/);
    expect(health.components.kafka.detail).not.toMatch(/in-process/);
  });

  it("completes an async ingestion through the Kafka workers it started", async () => {
    const queued = await fetch(`${base}/ingest-data-async`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        source: "samples-jsonl",
        table_or_collection: "articles.jsonl",
        text_fields: ["title", "body"],
      }),
    });
    expect(queued.status).toBe(202);
    const { batch_id } = await readJson(queued);
    const status = async () => readJson(await fetch(`${base}/ingest-status/${batch_id}`));
    await waitFor(
      async () => ["completed", "completed_with_errors", "failed"].includes((await status()).status),
      120_000,
      "the batch to finish",
    );
    // Only the started process consumes this run's topics: every document went through its workers.
    expect(await status()).toMatchObject({
      status: "completed",
      total_documents: 120,
      processed_documents: 120,
      failed_documents: 0,
    });
  });
});
