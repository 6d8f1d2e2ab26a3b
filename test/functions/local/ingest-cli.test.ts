import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { readSyncState } from "../../../core/sync/index.js";
import { createTestContext } from "../../support/app-context.js";
import { testServices, uniqueName } from "../../support/services.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../../..");

describe("npm run ingest: the CLI over the same ingestion as POST /ingest-data", { timeout: 120_000 }, () => {
  const source = `cli_${uniqueName("ingest").replace(/-/g, "_")}`;
  let dataDir: string;
  let context: AppContext;
  let environment: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "cwd-ingest-cli-"));
    await mkdir(path.join(dataDir, "shop"));
    const rows = Array.from(
      { length: 8 },
      (_, n) => `${n + 1},Lamp ${n + 1},A desk lamp with ${n + 1} brightness levels`,
    );
    await writeFile(path.join(dataDir, "shop", "lamps.csv"), `id,name,description\n${rows.join("\n")}\n`);
    await writeFile(path.join(dataDir, "shop", "reviews.csv"), "id,lamp_id,verdict\n1,3,Bright and steady\n");
    environment = {
      DATA_DIR: dataDir,
      CHROMA_URL: testServices.chromaUrl,
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: `${source}:`,
      KAFKA_BROKERS: "",
      SOURCES: JSON.stringify([{ name: source, kind: "csv", path: "shop" }]),
    };
    context = createTestContext(environment);
  });
  afterAll(async () => {
    await context?.vectors?.deleteSource(source);
    if (context?.redis) {
      const keys = await context.redis.keys(`${source}:*`);
      if (keys.length) await context.redis.del(...keys);
    }
    await context?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const ingest = (...args: string[]) =>
    run(path.join(root, "node_modules/.bin/tsx"), ["functions/local/ingest-cli.ts", ...args], {
      cwd: root,
      env: { ...process.env, ...environment },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it("ingests the rows asked for, prints the summary as JSON and progress on stderr", async () => {
    const result = await ingest(
      "--source",
      source,
      "--table",
      "lamps.csv",
      "--text-fields",
      "name,description",
      "--max-rows",
      "5",
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ source, table: "lamps.csv", documents: 5, failed: 0 });
    expect(result.stderr).toMatch(/rows read, \d+ embedded/);
    expect(await context.vectors?.count(source)).toBe(5);
    // Recorded as /ingest-data records it, so a later sync names only the table.
    const state = await readSyncState(context, source, "lamps.csv");
    expect(state.spec).toMatchObject({ text_fields: ["name", "description"] });
  });

  it("takes --include as the same JSON the API takes, and exits 2 naming a malformed one", async () => {
    const include = [{ table: "lamps.csv", local_field: "lamp_id", foreign_field: "id", fields: ["name"] }];
    const ingestReviews = (includeJson: string) =>
      ingest("--source", source, "--table", "reviews.csv", "--text-fields", "verdict", "--include", includeJson);
    const result = await ingestReviews(JSON.stringify(include));
    expect(result.code, result.stderr).toBe(0);
    const [review] =
      (await context.vectors?.get(source, { where: { table: { $eq: "reviews.csv" } }, limit: 10 })) ?? [];
    expect(review?.content).toBe("verdict: Bright and steady\nlamp.name: Lamp 3");
    const malformed = await ingestReviews('[{"table":"lamps.csv"}]');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--include: 0\.fields/);
  });

  it("exits 1 naming the problem for an unknown source, and 2 with its usage without text fields", async () => {
    const unknown = await ingest("--source", "nope", "--table", "lamps.csv", "--text-fields", "name");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("ingestion failed: unknown source 'nope'");
    const usage = await ingest("--source", source, "--table", "lamps.csv");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: npm run ingest");
  });
});
