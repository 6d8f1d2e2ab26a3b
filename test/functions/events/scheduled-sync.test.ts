import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { rememberIngestion } from "../../../core/sync/index.js";
import { createScheduledSync } from "../../../functions/events/scheduled-sync.js";
import { createTestContext } from "../../support/app-context.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices, uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

const scheduledEvent = JSON.parse(
  readFileSync(new URL("../../events/eventbridge-scheduled.json", import.meta.url), "utf8"),
);

describe("the scheduled sync function", () => {
  const run = uniqueName("sched").replace(/-/g, "_");
  const source = `pg_${run}`;
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let context: AppContext;

  beforeAll(async () => {
    fixture = await createPostgresFixture(
      `CREATE TABLE posts (id int PRIMARY KEY, body text);
       CREATE TABLE pages (id int PRIMARY KEY, body text);
       INSERT INTO posts VALUES (1, 'Opening hours change in May.'), (2, 'New branch in Lyon.');
       INSERT INTO pages VALUES (1, 'About us.');`,
    );
    // A private key prefix: "every table with state" is then only this test's tables.
    context = createTestContext({
      REDIS_KEY_PREFIX: `${run}:`,
      SOURCES: JSON.stringify([
        { name: source, kind: "postgresql", url: testServices.postgresUrl, schema: fixture.schema },
      ]),
    });
    await rememberIngestion(context, { source, table: "posts", textFields: ["body"] });
    await rememberIngestion(context, { source, table: "pages", textFields: ["body"] });
  });

  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: `${run}:` });
    await fixture?.drop();
  });

  it("syncs every table with recorded state on EventBridge's scheduled event", async () => {
    const { outcomes } = await createScheduledSync(() => context)(scheduledEvent);
    expect(outcomes.map((outcome) => [outcome.table, outcome.status, outcome.summary?.reembedded])).toEqual([
      ["pages", "synced", 1],
      ["posts", "synced", 2],
    ]);
    expect(await context.vectors?.count(source)).toBe(3);
  });

  it("syncs the tables a constant input names, each with its own outcome", async () => {
    await fixture.admin.query(`INSERT INTO ${fixture.schema}.posts VALUES (3, 'Closed on the first of May.')`);
    const { outcomes } = await createScheduledSync(() => context)({
      targets: [
        { source, table: "vanished" },
        { source, table: "posts" },
      ],
    });
    expect(outcomes[0]).toMatchObject({ table: "vanished", status: "failed" });
    expect(outcomes[0]?.error).toContain("SyncSpecMissingError");
    expect(outcomes[1]).toMatchObject({ table: "posts", status: "synced", summary: { reembedded: 1, unchanged: 2 } });
  });

  it("refuses an event that is neither a scheduled event nor a sync plan", async () => {
    await expect(createScheduledSync(() => context)({ records: {} })).rejects.toMatchObject({ code: "invalid_input" });
    await expect(
      createScheduledSync(() => context)({ targets: [{ source: "bad name!", table: "posts" }] }),
    ).rejects.toMatchObject({ code: "invalid_input" });
  });
});
