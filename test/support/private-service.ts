import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes.js";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

export interface PrivateService {
  port: number;
  url: string;
  up(): Promise<void>;
  down(): Promise<void>;
  /** Stops it and removes its folder. */
  destroy(): Promise<void>;
}

const portVariable = { chroma: "CHROMA_PORT", redis: "REDIS_PORT", kafka: "KAFKA_PORT" } as const;

/**
 * Its own instance of one of the project's services, started and stopped with the project's own
 * service scripts (`scripts/services.sh up|down NAME`) in a private SERVICES_DIR on free ports,
 * so a test can stop it without disturbing the shared services other tests use.
 */
export async function privateService(name: keyof typeof portVariable): Promise<PrivateService> {
  const dir = await mkdtemp(path.join(tmpdir(), `cwd-${name}-`));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, SERVICES_DIR: dir, [portVariable[name]]: String(port) };
  if (name === "kafka") {
    env.KAFKA_CONTROLLER_PORT = String(await freePort());
    // The broker's jars are shared read-only with the main instance: installing them again takes minutes.
    await mkdir(path.join(dir, "kafka"), { recursive: true });
    await symlink(path.join(root, ".services/kafka/libs"), path.join(dir, "kafka/libs"));
  }
  const services = (action: "up" | "down") =>
    run("bash", ["scripts/services.sh", action, name], { cwd: root, env, timeout: 180_000 }).then(() => undefined);
  const url = { chroma: `http://127.0.0.1:${port}`, redis: `redis://127.0.0.1:${port}`, kafka: `127.0.0.1:${port}` }[
    name
  ];
  return {
    port,
    url,
    up: () => services("up"),
    down: () => services("down"),
    async destroy() {
      await services("down").catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
