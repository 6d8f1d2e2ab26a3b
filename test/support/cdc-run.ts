import { isDeepStrictEqual } from "node:util";
import { expect } from "vitest";
import type { CdcStatus } from "../../core/cdc/index.js";
import type { AppContext } from "../../core/context/index.js";
import { type SyncRequest, syncTable } from "../../core/sync/index.js";
import { createCdcApp } from "../../functions/http/cdc.js";
import { startWorkers } from "../../functions/local/workers.js";
import { createTestContext } from "./app-context.js";
import { expectKeywordIndexInStep, keywordIndexInStep } from "./keyword-oracle.js";
import { createPostgresFixture } from "./postgres-fixture.js";
import { waitFor } from "./processes.js";
import { testServices, uniqueName } from "./services.js";
import { countingEmbedder, expectedRecords, storedRecords } from "./sync-oracle.js";
import { releaseRun } from "./test-run.js";

type PostgresFixture = Awaited<ReturnType<typeof createPostgresFixture>>;

/** Whether the connector's task runs and holds its replication slot: changes from now on are streamed. */
export function cdcStreams(status: CdcStatus): boolean {
  return status.connector.tasks[0]?.state === "RUNNING" && status.slot.active;
}

/**
 * One CDC test file's run: a private schema registered as a PostgreSQL source, a context whose
 * topics, consumer groups and Redis keys carry the run's name, the cdc function over it and the
 * cdc-consumer. Create it in the describe block, `setUp` in beforeAll, `tearDown` in afterAll.
 */
export class CdcTestRun {
  readonly runId: string;
  readonly source: string;
  readonly app = createCdcApp(() => this.context);
  private fixtureOrUndefined: PostgresFixture | undefined;
  private contextOrUndefined: AppContext | undefined;
  private embedderOrUndefined: ReturnType<typeof countingEmbedder> | undefined;
  private workers: { stop(): Promise<void> } | undefined;
  private disabled = false;

  /** @example new CdcTestRun("rel-cdc", "rel_cdc") // source rel_cdc_rel_cdc_<time>_<random> */
  constructor(name: string, sourcePrefix: string) {
    this.runId = uniqueName(name).replace(/-/g, "_");
    this.source = `${sourcePrefix}_${this.runId}`;
  }

  get fixture(): PostgresFixture {
    if (!this.fixtureOrUndefined) throw new Error("the CDC run is not set up");
    return this.fixtureOrUndefined;
  }

  get context(): AppContext {
    if (!this.contextOrUndefined) throw new Error("the CDC run is not set up");
    return this.contextOrUndefined;
  }

  /** The context's embedder, recording what it is asked to embed. */
  get embedder(): ReturnType<typeof countingEmbedder> {
    if (!this.embedderOrUndefined) throw new Error("the CDC run is not set up");
    return this.embedderOrUndefined;
  }

  /**
   * Creates the schema from `setupSql` and the run's context, `settings` on top of its names; the
   * source connects as `url` (another role than the schema's owner, say).
   */
  async setUp(
    setupSql: string,
    settings: Record<string, string> = {},
    url = testServices.postgresUrl,
  ): Promise<AppContext> {
    this.fixtureOrUndefined = await createPostgresFixture(setupSql);
    const base = createTestContext({
      REDIS_KEY_PREFIX: `${this.runId}:`,
      KAFKA_TOPIC_PREFIX: `${this.runId}.`,
      KAFKA_GROUP_PREFIX: this.runId,
      ...settings,
      SOURCES: JSON.stringify([{ name: this.source, kind: "postgresql", url, schema: this.fixture.schema }]),
    });
    this.embedderOrUndefined = countingEmbedder(base.embedder);
    this.contextOrUndefined = { ...base, embedder: this.embedderOrUndefined };
    return this.contextOrUndefined;
  }

  /** Ingests a table of the run's source the ordinary way, before CDC streams its changes. */
  async ingest(table: string, spec: SyncRequest["spec"]): Promise<void> {
    const vectors = this.context.vectors;
    if (!vectors) throw new Error("chroma is configured in tests");
    await syncTable({ ...this.context, vectors }, { source: this.source, table, spec });
  }

  /**
   * Waits until the table's documents equal a fresh ingestion of its current rows under `spec`
   * (and, with `keywordIndex`, the keyword index holds the same); on a timeout, fails on the first
   * difference rather than on "timed out". Returns the documents.
   */
  async converged(
    table: string,
    spec: { textFields: string[]; fields?: string[] },
    timeoutMs: number,
    { keywordIndex = false } = {},
  ): Promise<Awaited<ReturnType<typeof storedRecords>>> {
    const expected = await expectedRecords(this.context, this.source, table, spec);
    let actual: Awaited<ReturnType<typeof storedRecords>> = [];
    try {
      await waitFor(
        async () => {
          actual = await storedRecords(this.context, this.source, table);
          // Metadata key order differs between a fresh ingestion and a merged update.
          return (
            isDeepStrictEqual(actual, expected) &&
            (!keywordIndex || (await keywordIndexInStep(this.context, this.source)))
          );
        },
        timeoutMs,
        "the store to match the table",
      );
    } catch {
      expect(actual).toEqual(expected);
      if (keywordIndex) await expectKeywordIndexInStep(this.context, this.source);
    }
    return actual;
  }

  /** Runs SQL as the schema's owner; `@` stands for the schema, so `@items` is the run's own table. */
  sql = (text: string, values: unknown[] = []) =>
    this.fixture.admin.query(text.replaceAll("@", `${this.fixture.schema}.`), values);

  /** GET /sources/{source}/cdc, which must answer 200. */
  status = async (): Promise<CdcStatus> => {
    const response = await this.app.request(`/sources/${this.source}/cdc`);
    expect(response.status).toBe(200);
    return (await response.json()) as CdcStatus;
  };

  /** POST /sources/{source}/cdc with `body`. */
  enable(body: Record<string, unknown>): Promise<Response> {
    return Promise.resolve(
      this.app.request(`/sources/${this.source}/cdc`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  }

  /** DELETE /sources/{source}/cdc: the connector, the slot and the publication go. */
  async disable(): Promise<Response> {
    this.disabled = true;
    return this.app.request(`/sources/${this.source}/cdc`, { method: "DELETE" });
  }

  /** Changes count from the slot's creation: waits until the connector's task streams from it. */
  async streaming(): Promise<void> {
    await waitFor(async () => cdcStreams(await this.status()), 60_000, "the connector to stream");
  }

  async startConsumer(): Promise<void> {
    this.workers = await startWorkers(this.context, ["cdc-consumer"]);
  }

  async stopConsumer(): Promise<void> {
    await this.workers?.stop();
    this.workers = undefined;
  }

  /** Stops the consumer, disables CDC unless the test did, and removes all the run wrote. */
  async tearDown(): Promise<void> {
    await this.stopConsumer();
    if (this.contextOrUndefined) {
      if (!this.disabled) await this.disable();
      await releaseRun(this.contextOrUndefined, {
        sources: [this.source],
        topicPrefix: `${this.runId}.`,
        redisPrefix: `${this.runId}:`,
      });
    }
    await this.fixtureOrUndefined?.drop();
  }
}
