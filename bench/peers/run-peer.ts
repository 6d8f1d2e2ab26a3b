import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { BenchIncompleteError } from "../support.js";
import { type PeerConfig, type PeerResult, PeerResultSchema, resultLinePrefix } from "./protocol.js";

const here = import.meta.dirname;
const root = path.resolve(here, "../..");
export const peersDir = path.resolve(process.env.BENCH_PEERS_DIR ?? path.join(root, ".services/bench-peers"));

export const peerNames = ["project", "langchain", "langchain-batch32", "sentence-transformers"] as const;
export type PeerName = (typeof peerNames)[number];

/** Which install.sh part each peer needs (the project needs none: it is this repository). */
const installPart: Record<PeerName, string | undefined> = {
  project: undefined,
  langchain: "node",
  "langchain-batch32": "node",
  "sentence-transformers": "python",
};

/**
 * Makes sure each peer's part of .services/bench-peers is installed. With `install` false it only
 * checks, and returns the peers that are missing instead of installing them (the smoke test's mode).
 */
export function ensureInstalled(peers: readonly PeerName[], install: boolean): PeerName[] {
  const missing: PeerName[] = [];
  for (const peer of peers) {
    const part = installPart[peer];
    if (!part) continue;
    const run = spawnSync("bash", [path.join(here, "install.sh"), ...(install ? [] : ["--check"]), part], {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, BENCH_PEERS_DIR: peersDir },
    });
    if (run.status === 0) continue;
    if (install) throw new Error(`installing the ${peer} peer failed (bench/peers/install.sh ${part})`);
    missing.push(peer);
  }
  return missing;
}

/** The command line of each peer's process. */
function commandOf(peer: PeerName): { command: string; args: string[] } {
  switch (peer) {
    case "project":
      return { command: process.execPath, args: ["--import", "tsx", path.join(here, "project-peer.ts")] };
    case "langchain":
    case "langchain-batch32": {
      // Next to the peers' node_modules, so its bare imports resolve there and not in the project's.
      const script = path.join(peersDir, "node", "langchain-peer.mjs");
      copyFileSync(path.join(here, "langchain-peer.mjs"), script);
      return { command: process.execPath, args: [script] };
    }
    case "sentence-transformers":
      return {
        command: path.join(peersDir, "venv", "bin", "python"),
        args: [path.join(here, "sentence_transformers_peer.py")],
      };
  }
}

/** A peer stopped for passing the memory cap: an outcome to report, not a failure of the bench. */
export class MemoryCapError extends Error {
  override name = "MemoryCapError";
  constructor(
    readonly peer: string,
    readonly capBytes: number,
  ) {
    super(`peer ${peer} passed the memory cap of ${Math.round(capBytes / 2 ** 20)} MB and was stopped`);
  }
}

const rssOf = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};

/**
 * Runs one peer over every run in `config`; its progress goes to stderr, its result is validated.
 * A peer whose resident memory passes `capBytes` is killed (the machine is shared: one peer must not
 * push the others, or other people's work, out of memory) and rejected with a MemoryCapError.
 */
export function runPeer(peer: PeerName, config: PeerConfig, capBytes: number): Promise<PeerResult> {
  const { command, args } = commandOf(peer);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, JSON.stringify(config)], {
      cwd: root,
      env: { ...process.env, HF_HUB_OFFLINE: "1", TRANSFORMERS_OFFLINE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let capped = false;
    const watch = setInterval(() => {
      if (child.pid === undefined || rssOf(child.pid) <= capBytes) return;
      capped = true;
      child.kill("SIGKILL");
    }, 200);
    let output = "";
    let errors = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
      // Progress lines (two-space indented) go through; library chatter stays in `errors` for a failure.
      for (const line of chunk.toString().split("\n")) if (line.startsWith("  ")) console.log(line);
    });
    child.once("error", (error) => {
      clearInterval(watch);
      reject(error);
    });
    child.once("exit", (code) => {
      clearInterval(watch);
      if (capped) {
        reject(new MemoryCapError(peer, capBytes));
        return;
      }
      const line = output.split("\n").find((text) => text.startsWith(resultLinePrefix));
      if (code !== 0 || !line) {
        reject(new BenchIncompleteError(`peer ${peer} exited ${code} without a result: ${errors.slice(-1_500)}`));
        return;
      }
      try {
        resolve(PeerResultSchema.parse(JSON.parse(line.slice(resultLinePrefix.length))));
      } catch (error) {
        reject(new BenchIncompleteError(`peer ${peer} printed an invalid result: ${String(error)}`));
      }
    });
  });
}
