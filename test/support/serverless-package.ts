import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { testServices } from "./services.js";

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

/** Where scripts/lambda/build-layer.sh puts the embedding layer (its node_modules and models). */
export const layerDir = path.join(root, ".build/layers/embedding");

/**
 * The environment Lambda would give a function's bundle, over the local services: production
 * mode, the run's own topic and key prefixes, streaming for a URL function, and with the layer,
 * what Lambda sets for one (/opt/nodejs/node_modules, /opt/models); without it, a model folder
 * that does not exist, so a function that embeds cannot pass unnoticed.
 */
export function bundleEnvironment(options: {
  topicPrefix: string;
  redisPrefix: string;
  streaming: boolean;
  withLayer: boolean;
  /** A folder of the run's own, for the missing model folder. */
  scratch: string;
}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    CHROMA_URL: testServices.chromaUrl,
    REDIS_URL: testServices.redisUrl,
    KAFKA_BROKERS: testServices.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: options.topicPrefix,
    REDIS_KEY_PREFIX: options.redisPrefix,
    ...(options.streaming ? { LAMBDA_STREAMING: "1" } : {}),
    ...(options.withLayer
      ? {
          NODE_PATH: path.join(layerDir, "nodejs/node_modules"),
          EMBEDDING_MODEL_DIR: path.join(layerDir, "models"),
        }
      : { EMBEDDING_MODEL_DIR: path.join(options.scratch, "no-model") }),
  };
}

/** A handler as serverless.yml names it (`functions/http/openai.streamHandler`): the bundled module, then its export. */
export function handlerEntry(folder: string, handler: string): { file: string; exported: string } {
  return {
    file: path.join(folder, `${handler.slice(0, handler.lastIndexOf("."))}.mjs`),
    exported: handler.slice(handler.lastIndexOf(".") + 1),
  };
}
