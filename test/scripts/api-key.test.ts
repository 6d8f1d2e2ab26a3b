import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../core/context/index.js";
import { createLlmApp } from "../../functions/http/llm.js";
import { createTestContext } from "../support/app-context.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");

describe("npm run api-key", { timeout: 60_000 }, () => {
  const contexts: AppContext[] = [];
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
  });

  it("prints a key once and an API_KEYS entry holding only its sha256, which the server accepts", async () => {
    const { stdout } = await run(
      tsx,
      ["scripts/api-key.ts", "--name", "web", "--scopes", "chat", "--users", "ada, team-*", "--rate", "120"],
      { cwd: root },
    );
    const key = /key \(shown once\): (\S+)/.exec(stdout)?.[1] ?? "";
    const entry = JSON.parse(/API_KEYS entry:\s+(\{.*\})/.exec(stdout)?.[1] ?? "{}");
    expect(entry).toEqual({
      name: "web",
      sha256: createHash("sha256").update(key).digest("hex"),
      scopes: ["chat"],
      users: ["ada", "team-*"],
      rate_limit_per_minute: 120,
    });
    expect(JSON.stringify(entry)).not.toContain(key);

    // The printed entry, configured as printed, lets the printed key in, and no other.
    const context = createTestContext({ API_KEYS: JSON.stringify([entry]), RATE_LIMIT_PER_MINUTE: "0" });
    contexts.push(context);
    const providers = (apiKey: string) =>
      createLlmApp(() => context).request("/api/llm/providers", { headers: { "x-api-key": apiKey } });
    expect((await providers(key)).status).toBe(200);
    expect((await providers(`${key}x`)).status).toBe(401);
  });

  it("exits 2 with its usage when --name is missing", async () => {
    const failure = await run(tsx, ["scripts/api-key.ts"], { cwd: root }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain("usage: npm run api-key -- --name NAME");
  });
});
