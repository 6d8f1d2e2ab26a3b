import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { AppContext } from "../../core/context/index.js";
import { createMetricsApp } from "../http/metrics.js";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `npm run workers`' own /metrics (WORKERS_METRICS_PORT): worker processes serve no HTTP API,
 * yet their embedding and Kafka metrics live in their memory. The same function as the
 * server's /metrics, so access rules and the lag read are the same. Resolves once listening;
 * rejects when the port is taken, so the caller can go on without it.
 */
export function serveMetrics(context: AppContext, options: { host: string; port: number }): Promise<MetricsServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: createMetricsApp(() => context).fetch, hostname: options.host, port: options.port });
    server.once("error", reject);
    server.once("listening", () => {
      const address = server.address() as AddressInfo;
      resolve({
        url: `http://${options.host}:${address.port}/metrics`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
