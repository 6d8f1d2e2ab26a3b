import { once } from "node:events";
import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyRowChanges, ConnectUnavailableError, cdcNames } from "../../../core/cdc/index.js";
import type { AppContext } from "../../../core/context/index.js";
import { createTestContext } from "../../support/app-context.js";
import { createTestLocalApp } from "../../support/function-apps.js";
import { waitFor } from "../../support/processes.js";
import { scratchDatabase } from "../../support/scratch-database.js";
import { testServices, uniqueName } from "../../support/services.js";

/** A TCP relay to the test Redis that counts the connections made through it. */
async function countingRedisRelay() {
  const target = new URL(testServices.redisUrl);
  const sockets = new Set<net.Socket>();
  let opened = 0;
  const server = net.createServer((client) => {
    opened++;
    sockets.add(client);
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(testServices.redisUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    opened: () => opened,
    open: () => [...sockets].length / 2,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

describe("the context's lifecycle", () => {
  const source = uniqueName("lifecycle").replace(/[^a-z0-9_]/g, "_");
  let database: { url: string; drop(): Promise<void> };
  const connectionsTo = async (name: string) => {
    const client = new pg.Client({ connectionString: testServices.searchUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: string }>(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'chat-with-your-data'",
        [name],
      );
      return Number(rows[0]?.count ?? 0);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    database = await scratchDatabase("lifecycle");
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(
      `CREATE TABLE lamps (id int PRIMARY KEY, title text, body text);
       INSERT INTO lamps VALUES (1, 'Desk lamp', 'A desk lamp with a green glass shade.'),
                                (2, 'Floor lamp', 'A floor lamp with three arms.');`,
    );
    await client.end();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it("close() closes what a CDC apply opened: the source's and CDC's pools, its table cache, the Connect client", async () => {
    const databaseName = new URL(database.url).pathname.slice(1);
    const context = createTestContext({
      REDIS_KEY_PREFIX: `${source}:`,
      KAFKA_TOPIC_PREFIX: `${source}.`,
      SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: database.url }]),
    });
    let closed = false;
    try {
      const ingested = await createTestLocalApp(context).request("/ingest-data", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source, table_or_collection: "lamps", text_fields: ["title", "body"] }),
      });
      expect(ingested.status).toBe(200);
      const outcomes = await applyRowChanges(context.requireVectors(), [
        {
          op: "u",
          origin: cdcNames(source, context.settings).topicPrefix,
          schema: "public",
          table: "lamps",
          key: { id: 1 },
          image: { id: 1 },
          lsn: undefined,
          commitMs: undefined,
        },
      ]);
      expect(outcomes[0]?.counts.events).toBe(1);
      // What CDC's status and clean-up use, and the client it drives Connect with.
      await context.cdc.slotPool(database.url).query("SELECT 1");
      const connect = context.connect;
      const slotPool = context.cdc.slotPool(database.url);
      expect(context.cdc.targets.size).toBe(1);
      expect(slotPool.totalCount).toBe(1);
      expect(await connectionsTo(databaseName)).toBeGreaterThanOrEqual(2);

      await context.close();
      closed = true;
      expect(slotPool.totalCount).toBe(0);
      expect(context.cdc.targets.size).toBe(0);
      expect(connect.closed).toBe(true);
      await expect(connect.status("any")).rejects.toBeInstanceOf(ConnectUnavailableError);
      // The server sees every connection of this context go (backends end a moment after the client).
      await waitFor(async () => (await connectionsTo(databaseName)) === 0, 10_000, "the pools' connections to end");
    } finally {
      if (!closed) await context.close();
      await context.vectors?.deleteSource(source);
    }
  }, 120_000);

  it("a function that does not use Redis never connects to it; one that does, does, and close() lets go", async () => {
    const relay = await countingRedisRelay();
    const context: AppContext = createTestContext({
      REDIS_URL: relay.url,
      REDIS_KEY_PREFIX: `${source}:`,
      SOURCES: JSON.stringify([{ name: source, kind: "postgresql", url: database.url }]),
    });
    try {
      const app = createTestLocalApp(context);
      const listed = await app.request("/sources");
      expect(listed.status).toBe(200);
      const schema = await app.request("/schema", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source, table_or_collection: "lamps" }),
      });
      expect(schema.status).toBe(200);
      expect(relay.opened()).toBe(0);

      // The batch-status route keeps batches in Redis: the relay must see it connect.
      const recent = await app.request("/recent-batches");
      expect(recent.status).toBe(200);
      expect(relay.opened()).toBe(1);
      await context.close();
      await waitFor(async () => relay.open() === 0, 10_000, "the Redis connection to close");
    } finally {
      await context.close();
      await relay.close();
    }
  }, 60_000);
});
