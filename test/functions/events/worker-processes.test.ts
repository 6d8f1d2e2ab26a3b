import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { createIngestAsyncApp } from "../../../functions/http/ingest-async.js";
import { startWorkers } from "../../../functions/local/workers.js";
import { createTestContext } from "../../support/app-context.js";
import { readJson } from "../../support/http.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { waitFor } from "../../support/processes.js";
import { runEnvironment, testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const root = path.resolve(import.meta.dirname, "../../..");
const rows = 1_200;

describe("embedding workers as separate processes: crash and scale-out", { timeout: 300_000 }, () => {
  const run = uniqueName("procs").replace(/-/g, "_");
  const source = `pg_${run}`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;
  let inProcess: { stop(): Promise<void> };
  let environment: Record<string, string>;
  const children: ChildProcess[] = [];
  /** The worker the crash test leaves running, which the scale-out test joins. */
  let survivor: { child: ChildProcess; handled: () => number } | undefined;

  /**
   * `npm run workers -- embedding-worker` as its own process, configured like this test's context.
   * Its log's "consumer batch" lines count the embedding requests it handled: the proof it did work.
   */
  const spawnEmbeddingWorker = () => {
    const child = spawn(process.execPath, ["--import", "tsx", "functions/local/workers-main.ts", "embedding-worker"], {
      cwd: root,
      env: { ...process.env, ...environment, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(child);
    let handled = 0;
    let pending = "";
    child.stdout?.on("data", (chunk) => {
      const lines = (pending + chunk.toString()).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const entry = (() => {
          try {
            return JSON.parse(line) as { msg?: string; consumer?: string; records?: number; outcome?: string };
          } catch {
            return undefined;
          }
        })();
        if (entry?.msg === "consumer batch" && entry.consumer === "embedding-worker" && entry.outcome === "ok") {
          handled += entry.records ?? 0;
        }
      }
    });
    return { child, handled: () => handled };
  };
  const groupMembers = async () => {
    const admin = context.kafka?.admin();
    if (!admin) return 0;
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([`${run}-embedding-worker`]);
      return groups[0]?.state === "Stable"
        ? groups[0].members.filter((member) => member.memberAssignment.length > 0).length
        : 0;
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE notes (id int PRIMARY KEY, body text);
       INSERT INTO notes SELECT n, 'Note ' || n || ': the order shipped late because the courier lost the parcel twice.' FROM generate_series(1, ${rows}) AS n;`,
    );
    environment = {
      ...runEnvironment(run),
      EMBEDDING_GROUP_SIZE: "16",
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    };
    context = createTestContext(environment);
    // The ingestion worker and status consumer run here; embedding happens only in the child processes.
    inProcess = await startWorkers(context, ["ingestion-worker", "status-consumer"]);
  });

  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await inProcess?.stop();
    await releaseRun(context, { sources: [source], topicPrefix: `${run}.` });
    await fixture?.drop();
  });

  const status = async (batchId: string) =>
    readJson(await createIngestAsyncApp(() => context).request(`/ingest-status/${batchId}`));
  const queue = async () => {
    const response = await createIngestAsyncApp(() => context).request("/ingest-data-async", {
      method: "POST",
      body: JSON.stringify({ source, table_or_collection: "notes", text_fields: ["body"] }),
      headers: { "content-type": "application/json" },
    });
    return (await readJson(response)).batch_id as string;
  };
  const expectExactlyStored = async () => {
    expect(await context.vectors?.count(source)).toBe(rows);
    const ids = new Set((await context.vectors?.get(source, { limit: rows + 10 }))?.map((record) => record.id));
    expect(ids.size).toBe(rows);
    for (let id = 1; id <= rows; id++) expect(ids.has(`${source}:notes:${id}`)).toBe(true);
  };

  it("completes with exact counts after the embedding worker is killed with SIGKILL mid-batch", async () => {
    const first = spawnEmbeddingWorker();
    await waitFor(async () => (await groupMembers()) === 1, 120_000, "the first embedding worker to join");
    const batchId = await queue();
    // The fault is driven from an observed point: 100 documents done. SIGSTOP freezes the worker at once
    // (no more progress from it), so the batch is known to be unfinished when the kill lands.
    await waitFor(async () => (await status(batchId)).processed_documents >= 100, 180_000, "some progress");
    first.child.kill("SIGSTOP");
    const before = await status(batchId);
    expect(before.processed_documents).toBeGreaterThanOrEqual(100);
    expect(before.processed_documents).toBeLessThan(rows);
    first.child.kill("SIGKILL");
    const second = spawnEmbeddingWorker();
    survivor = second;
    await waitFor(async () => (await status(batchId)).status === "completed", 240_000, "completion after the crash");
    expect(await status(batchId)).toMatchObject({
      total_documents: rows,
      processed_documents: rows,
      failed_documents: 0,
    });
    await expectExactlyStored();
    // Both halves: the first process handled requests before it died, its replacement the rest.
    expect(first.handled()).toBeGreaterThan(0);
    expect(second.handled()).toBeGreaterThan(0);
  });

  it("shares the partitions between two embedding worker processes, and the batch completes", async () => {
    if (!survivor) throw new Error("the previous test leaves one embedding worker running");
    spawnEmbeddingWorker();
    await waitFor(async () => (await groupMembers()) === 2, 120_000, "two members with partitions");
    const batchId = await queue();
    await waitFor(async () => (await status(batchId)).status === "completed", 240_000, "completion with two workers");
    expect(await status(batchId)).toMatchObject({ processed_documents: rows, failed_documents: 0 });
    await expectExactlyStored();
    // Not asserted: that both processes worked on this batch. A batch's embedding requests are keyed by its
    // id, so one partition, and one process, takes the whole batch; processes share the work between batches.
  });
});
