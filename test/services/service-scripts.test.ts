import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

/** Runs `services.sh down NAME` against a private services folder, so the shared services are untouched. */
const down = (servicesDir: string, name: string) =>
  run("bash", [path.join(root, "scripts/services.sh"), "down", name], {
    env: { ...process.env, SERVICES_DIR: servicesDir },
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** What start_daemon records: field 22 of /proc/PID/stat, counted after the command name. */
const startTime = (pid: number) =>
  readFileSync(`/proc/${pid}/stat`, "utf8")
    .replace(/^.*\) /, "")
    .split(" ")[19] ?? "";

describe("service scripts' stop", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  const sleeper = () => {
    const child = spawn("sleep", ["300"], { stdio: "ignore" });
    cleanups.push(() => child.kill("SIGKILL"));
    const exited = new Promise<string | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    return { pid: child.pid ?? 0, exited };
  };
  const servicesDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "services-"));
    mkdirSync(path.join(dir, "run"), { recursive: true });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it("never signals a process that inherited a pid file's pid", async () => {
    const dir = servicesDir();
    const { pid } = sleeper();
    writeFileSync(path.join(dir, "run/redis.pid"), String(pid));
    // The daemon that wrote these files started at another time: the pid now belongs to someone else.
    writeFileSync(path.join(dir, "run/redis.start"), String(Number(startTime(pid)) - 1));
    const { stderr } = await down(dir, "redis");
    expect(stderr).toContain(`pid ${pid} belongs to another process now`);
    expect(alive(pid)).toBe(true);
    expect(() => readFileSync(path.join(dir, "run/redis.pid"))).toThrow();
  });

  it("stops the process it started", async () => {
    const dir = servicesDir();
    const { pid, exited } = sleeper();
    writeFileSync(path.join(dir, "run/mongo.pid"), String(pid));
    writeFileSync(path.join(dir, "run/mongo.start"), startTime(pid));
    await down(dir, "mongo");
    expect(await exited).toBe("SIGTERM");
  });
});
