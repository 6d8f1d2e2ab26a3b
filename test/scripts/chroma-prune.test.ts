import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = path.resolve(import.meta.dirname, "../../scripts/services/chroma-prune.py");
const live = "0c6f4c1e-2b7a-4f7e-9d7e-0a1b2c3d4e5f";
const deleted = "9adfde43-7ae7-46f6-84c3-7537f0f9c0e3";

describe("pruning the directories of deleted Chroma collections", () => {
  let data = "";
  afterEach(async () => {
    if (data) await rm(data, { recursive: true, force: true });
  });

  it("removes a segment directory no segment row names, and keeps the rest", async () => {
    data = await mkdtemp(path.join(tmpdir(), "chroma-prune-"));
    // chroma.sqlite3's segments table, as Chroma 1.x keeps it (only the id matters here).
    await run("python3", [
      "-c",
      `import sqlite3; c = sqlite3.connect(${JSON.stringify(path.join(data, "chroma.sqlite3"))}); c.execute("CREATE TABLE segments (id TEXT PRIMARY KEY, type TEXT)"); c.execute("INSERT INTO segments VALUES ('${live}', 'hnsw')"); c.commit()`,
    ]);
    for (const name of [live, deleted, "not-a-segment"]) {
      await mkdir(path.join(data, name));
      await writeFile(path.join(data, name, "data_level0.bin"), Buffer.alloc(4096));
    }
    const { stdout } = await run("python3", [script, data]);
    expect(existsSync(path.join(data, deleted))).toBe(false);
    expect(existsSync(path.join(data, live, "data_level0.bin"))).toBe(true);
    expect(existsSync(path.join(data, "not-a-segment"))).toBe(true);
    expect(existsSync(path.join(data, "chroma.sqlite3"))).toBe(true);
    expect(stdout).toContain("removed 1 directories");
  });

  it("does nothing where Chroma has not written yet", async () => {
    data = await mkdtemp(path.join(tmpdir(), "chroma-prune-"));
    await mkdir(path.join(data, deleted));
    await run("python3", [script, data]);
    expect(existsSync(path.join(data, deleted))).toBe(true);
  });
});
