import { once } from "node:events";
import type { Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listen } from "../../../functions/local/http-server.js";

const hello = () => new Response("hi");

async function started(keepAliveSeconds: number): Promise<{ server: Server; port: number }> {
  const server = listen(hello, { host: "127.0.0.1", port: 0, keepAliveSeconds });
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

/** Sends one keep-alive request on the socket and resolves with the raw response head. */
function request(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once("data", (chunk) => resolve(chunk.toString()));
    socket.once("error", reject);
    socket.write("GET / HTTP/1.1\r\nHost: local\r\nConnection: keep-alive\r\n\r\n");
  });
}

describe("the local Node server keeps idle connections open as configured", () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("serves a second request on a connection idle longer than Node's 5 s default", { timeout: 20_000 }, async () => {
    const { server, port } = await started(65);
    servers.push(server);
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    expect(await request(socket)).toMatch(/^HTTP\/1.1 200/);
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(await request(socket)).toMatch(/^HTTP\/1.1 200/);
    socket.destroy();
  });

  it("closes an idle connection once its keep-alive time is over", { timeout: 20_000 }, async () => {
    const { server, port } = await started(1);
    servers.push(server);
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    expect(await request(socket)).toMatch(/keep-alive/i);
    const closedAt = performance.now();
    await once(socket, "close");
    expect(performance.now() - closedAt).toBeLessThan(4_000);
  });
});
