import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../support/processes.js";
import { testServices, uniqueName } from "../../support/services.js";

const root = path.resolve(import.meta.dirname, "../../..");

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the start entry point (what `npm start` ends in) to its exit; it must not start serving. */
function start(overrides: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["functions/local/start.ts"], {
      cwd: root,
      env: {
        ...process.env,
        HOST: "127.0.0.1",
        CHROMA_URL: testServices.chromaUrl,
        REDIS_URL: testServices.redisUrl,
        REDIS_KEY_PREFIX: `${uniqueName("start-errors")}:`,
        KAFKA_BROKERS: testServices.kafkaBrokers,
        LLM_PROVIDER: "extractive",
        // Logs are on: any log line would mean work began before the problem was found.
        LOG_LEVEL: "info",
        ...overrides,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the start did not end on its own:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit status 2, one line on stderr naming `setting`, nothing on stdout (no log line: no work done), no stack. */
function expectOneClearLine(outcome: Outcome, setting: string, mentions: string): void {
  const lines = outcome.stderr.split("\n").filter((line) => line.trim() && !line.startsWith("npm warn"));
  expect({ code: outcome.code, lines: lines.length }, outcome.stderr).toEqual({ code: 2, lines: 1 });
  expect(lines[0]).toContain(setting);
  expect(lines[0]).toContain(mentions);
  expect(outcome.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
  expect(outcome.stdout).toBe("");
}

describe("npm start's start-up errors: one line naming the setting, before any work", { timeout: 120_000 }, () => {
  let holder: Server;
  let takenPort: number;

  beforeAll(async () => {
    // Another "instance" on a port of this test's own (never the shared 8000).
    takenPort = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(takenPort, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => holder?.close(resolve));
  });

  it("names PORT when the port is taken", async () => {
    expectOneClearLine(await start({ PORT: String(takenPort) }), "PORT", String(takenPort));
  });

  it("names CHROMA_URL when Chroma is unreachable", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    expectOneClearLine(await start({ PORT: String(await freePort()), CHROMA_URL: dead }), "CHROMA_URL", dead);
  });

  it("names REDIS_URL when Redis is unreachable", async () => {
    const dead = `redis://127.0.0.1:${await freePort()}/15`;
    expectOneClearLine(await start({ PORT: String(await freePort()), REDIS_URL: dead }), "REDIS_URL", dead);
  });

  it("names KAFKA_BROKERS when no broker answers", async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    expectOneClearLine(await start({ PORT: String(await freePort()), KAFKA_BROKERS: dead }), "KAFKA_BROKERS", dead);
  });

  it("names EMBEDDING_MODEL_DIR when the model folder is missing", async () => {
    const missing = path.join(tmpdir(), uniqueName("no-models"));
    const outcome = await start({ PORT: String(await freePort()), EMBEDDING_MODEL_DIR: missing });
    expectOneClearLine(outcome, "EMBEDDING_MODEL_DIR", missing);
  });
});
