import { existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import path from "node:path";
import type { Settings } from "../../core/config/index.js";

/** One start-up problem as the newcomer reads it: what is wrong, and the setting that changes it. */
export type StartupProblem = string;

const connectTimeoutMs = 3_000;

/** Whether a TCP connection to host:port opens within the timeout. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(connectTimeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A listen error as one line naming PORT (or HOST when the address itself is the problem). */
export function portProblem(error: NodeJS.ErrnoException, host: string, port: number): StartupProblem {
  if (error.code === "EADDRINUSE") {
    return `Port ${port} on ${host} is already in use (another instance running?): stop it, or set PORT to a free port.`;
  }
  if (error.code === "EACCES") return `Port ${port} needs privileges this user lacks: set PORT to 1024 or above.`;
  if (error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND") {
    return `HOST ${host} is not an address of this machine: set HOST (127.0.0.1 for local use).`;
  }
  return `Cannot listen on ${host}:${port} (${error.code ?? error.message}): set HOST and PORT.`;
}

/** Binds the server's address and lets it go again: a taken port is found before any work starts. */
function portFree(host: string, port: number): Promise<StartupProblem | undefined> {
  if (port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(portProblem(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

interface Component {
  setting: "CHROMA_URL" | "REDIS_URL" | "KAFKA_BROKERS";
  name: string;
  value: string | undefined;
  addresses: (value: string) => { host: string; port: number }[];
}

const fromUrl = (defaultPort: number) => (value: string) => {
  const url = new URL(value);
  return [{ host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || defaultPort) }];
};

const fromBrokers = (value: string) =>
  value
    .split(",")
    .map((broker) => broker.trim())
    .filter(Boolean)
    .map((broker) => {
      const colon = broker.lastIndexOf(":");
      return { host: broker.slice(0, colon).replace(/^\[|\]$/g, ""), port: Number(broker.slice(colon + 1) || 9092) };
    });

/**
 * What would stop `npm start` from serving, found before any work is done (no model load, no
 * ingestion): the port taken, a configured component unreachable, the model folder missing.
 * Each problem is one line naming the setting to change; an empty list means go ahead.
 */
export async function startupProblems(settings: Settings): Promise<StartupProblem[]> {
  const components: Component[] = [
    { setting: "CHROMA_URL", name: "Chroma", value: settings.CHROMA_URL, addresses: fromUrl(80) },
    { setting: "REDIS_URL", name: "Redis", value: settings.REDIS_URL, addresses: fromUrl(6379) },
    { setting: "KAFKA_BROKERS", name: "Kafka", value: settings.KAFKA_BROKERS, addresses: fromBrokers },
  ];
  const checks: Promise<StartupProblem | undefined>[] = [portFree(settings.HOST, settings.PORT)];
  for (const component of components) {
    const value = component.value;
    if (!value) continue;
    checks.push(
      (async () => {
        const results = await Promise.all(component.addresses(value).map(({ host, port }) => reachable(host, port)));
        if (results.some(Boolean)) return undefined;
        return `${component.name} at ${value} is unreachable: start it (npm start does, unless START_SERVICES=0), or set ${component.setting} to where it runs (blank turns it off).`;
      })(),
    );
  }
  const modelFolder = path.resolve(settings.EMBEDDING_MODEL_DIR, settings.EMBEDDING_MODEL);
  if (!settings.EMBEDDING_ALLOW_REMOTE && !existsSync(modelFolder)) {
    checks.push(
      Promise.resolve(
        `The embedding model folder ${modelFolder} is missing: run \`bash scripts/services.sh up model\`, or set EMBEDDING_MODEL_DIR to the folder holding ${settings.EMBEDDING_MODEL}.`,
      ),
    );
  }
  return (await Promise.all(checks)).filter((problem): problem is StartupProblem => problem !== undefined);
}
