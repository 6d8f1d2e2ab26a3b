import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
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

/**
 * A private Kafka broker with its own Kafka Connect worker (Debezium's plugin on its path), in one
 * private SERVICES_DIR on free ports: what a CDC test restarts without touching the shared Connect
 * other tests' connectors run on. The jars are shared read-only with the main instances.
 */
export async function privateKafkaConnect(): Promise<{ kafka: PrivateService; connect: PrivateService }> {
  const dir = await mkdtemp(path.join(tmpdir(), "cwd-kafka-connect-"));
  const kafkaPort = await freePort();
  const connectPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SERVICES_DIR: dir,
    KAFKA_PORT: String(kafkaPort),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
    CONNECT_PORT: String(connectPort),
  };
  await mkdir(path.join(dir, "kafka"), { recursive: true });
  await symlink(path.join(root, ".services/kafka/libs"), path.join(dir, "kafka/libs"));
  await mkdir(path.join(dir, "connect"), { recursive: true });
  for (const folder of ["libs", "plugins"])
    await symlink(path.join(root, ".services/connect", folder), path.join(dir, "connect", folder));
  // The install marker: with it, `up connect` starts the linked jars instead of resolving them again.
  await copyFile(path.join(root, ".services/connect/.installed"), path.join(dir, "connect/.installed"));
  const services = (action: "up" | "down", name: "kafka" | "connect") =>
    run("bash", ["scripts/services.sh", action, name], { cwd: root, env, timeout: 240_000 }).then(() => undefined);
  const service = (name: "kafka" | "connect", port: number, url: string): PrivateService => ({
    port,
    url,
    up: () => services("up", name),
    down: () => services("down", name),
    async destroy() {
      await services("down", name).catch(() => undefined);
    },
  });
  const kafka = service("kafka", kafkaPort, `127.0.0.1:${kafkaPort}`);
  const connect = service("connect", connectPort, `http://127.0.0.1:${connectPort}`);
  return {
    kafka: {
      ...kafka,
      // Connect needs the broker: stopping the pair starts with Connect, and the folder goes last.
      async destroy() {
        await connect.destroy();
        await kafka.destroy();
        await rm(dir, { recursive: true, force: true });
      },
    },
    connect,
  };
}
