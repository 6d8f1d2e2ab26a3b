import type { Hono } from "hono";
import { streamHandle } from "hono/aws-lambda";

/**
 * A response-streaming Lambda handler for a function URL in RESPONSE_STREAM mode. Lambda's Node
 * runtime provides the global `awslambda` that streamHandle wraps; anywhere else (the local
 * server, tests importing the module) the module must still load, and calling it explains why not.
 */
// biome-ignore lint/suspicious/noExplicitAny: Hono apps with any env and schema are accepted
export function streamingHandler(app: Hono<any, any, any>) {
  if ((globalThis as { awslambda?: unknown }).awslambda) return streamHandle(app);
  return async (): Promise<never> => {
    throw new Error("response streaming needs the Lambda runtime (global awslambda); use the Node server locally");
  };
}
