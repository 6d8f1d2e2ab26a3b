import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface ListenOptions {
  host: string;
  port: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveSeconds: number;
}

/**
 * A Node HTTP server for a fetch handler. Node closes idle connections after 5 s; a load
 * balancer in front (an ALB idles them for 60 s) may reuse one Node has just closed and answer
 * 502, so the server keeps them open longer than the balancer does, and waits for headers a
 * little longer still (Node requires headersTimeout above keepAliveTimeout for that to hold).
 */
export function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: ListenOptions,
  onListening?: (address: AddressInfo) => void,
): Server {
  const server = serve({ fetch, hostname: options.host, port: options.port }, onListening) as Server;
  server.keepAliveTimeout = options.keepAliveSeconds * 1_000;
  server.headersTimeout = server.keepAliveTimeout + 5_000;
  return server;
}
