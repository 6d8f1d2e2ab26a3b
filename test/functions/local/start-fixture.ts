import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { waitFor } from "../../support/processes.js";

const root = path.resolve(import.meta.dirname, "../../..");

/** `npm start` running in its own process group, and what it printed so far. */
export interface StartedServer {
  readonly output: string;
  /** Ends the whole group (the script, the server, its workers) and waits for the script to exit. */
  stop(): Promise<void>;
}

/**
 * Runs scripts/start.sh (what `npm start` runs) with `env`, and waits until it printed its answer
 * to the sample question or exited; a timeout names what it printed.
 */
export async function startScript(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  let output = "";
  const server: ChildProcess = spawn("bash", ["scripts/start.sh"], {
    cwd: root,
    detached: true,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (chunk) => {
    output += chunk.toString();
  });
  server.stderr?.on("data", (chunk) => {
    output += chunk.toString();
  });
  const started: StartedServer = {
    get output() {
      return output;
    },
    async stop() {
      if (server.pid && server.exitCode === null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        process.kill(-server.pid, "SIGTERM");
        await exited;
      }
    },
  };
  try {
    await waitFor(async () => output.includes("Ask your own:") || server.exitCode !== null, 240_000, "the answer");
  } catch (error) {
    await started.stop();
    throw new Error(`${(error as Error).message}; npm start printed:\n${output.slice(-4_000)}`);
  }
  return started;
}
