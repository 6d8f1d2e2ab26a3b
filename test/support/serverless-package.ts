import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

/** A function as serverless.yml declares it (the fields the package test and the cold-start bench read). */
export interface FunctionConfig {
  handler: string;
  layers?: string[];
  url?: { invokeMode?: string };
  events?: { httpApi?: { method: string; path: string }; kafka?: { topic: string; batchSize: number } }[];
}

/** serverless.yml's functions, by name. */
export async function serverlessFunctions(): Promise<Record<string, FunctionConfig>> {
  const config = parse(await readFile(path.join(root, "serverless.yml"), "utf8")) as {
    functions: Record<string, FunctionConfig>;
  };
  return config.functions;
}

/**
 * Builds the embedding layer, then runs `serverless package` for `stage` into `folder`: each
 * function's zip and the CloudFormation template. Offline: with no AWS credentials and no network,
 * serverless v3 packages from the config alone.
 */
export async function packageFunctions(folder: string, stage: string): Promise<void> {
  await run("bash", ["scripts/lambda/build-layer.sh"], { cwd: root, timeout: 300_000 });
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: "1", SLS_NOTIFICATIONS_MODE: "off" };
  for (const name of Object.keys(env)) if (name.startsWith("AWS_")) delete env[name];
  await run("npx", ["serverless", "package", "--stage", stage, "--package", folder], {
    cwd: root,
    env,
    timeout: 420_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}
