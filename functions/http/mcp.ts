import { createRoute, z } from "@hono/zod-openapi";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Context } from "hono";
import { handle } from "hono/aws-lambda";
import type { StatusCode } from "hono/utils/http-status";
import { defaultContext } from "../shared/default-context.js";
import { buildMcpServer } from "../shared/mcp-server.js";
import { type ContextProvider, createFunctionApp } from "./shared/create-app.js";
import type { ErrorBody } from "./shared/errors.js";
import { bodyErrorResponses, errorResponses } from "./shared/schemas.js";

const JsonRpcMessageSchema = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z
      .union([z.string().max(256), z.number().int()])
      .optional()
      .openapi({ description: "Absent for a notification" }),
    method: z.string().min(1).max(256).openapi({ example: "tools/list" }),
    params: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .openapi("McpMessage");

const mcpRoute = createRoute({
  method: "post",
  path: "/mcp",
  tags: ["mcp"],
  summary: "Model Context Protocol (Streamable HTTP, stateless): one JSON-RPC message in, its JSON-RPC answer out",
  description:
    "Tools search, ask, list_sources, describe_table, get_row (and, for admin keys, ingest_table and delete_table); " +
    "the sources and tables as resources. Authenticate with `Authorization: Bearer <API key>`. See docs/mcp.md.",
  request: { body: { required: true, content: { "application/json": { schema: JsonRpcMessageSchema } } } },
  responses: {
    200: {
      description: "The JSON-RPC response (a tool's failure is a result with isError and the error envelope's code)",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("McpResponse") } },
    },
    202: { description: "A notification, accepted" },
    ...errorResponses,
    ...bodyErrorResponses,
  },
});

/** The transport's own refusals (HTTP status and a JSON-RPC error) in this service's error envelope. */
const transportCodes: Record<number, string> = {
  400: "bad_request",
  404: "not_found",
  406: "not_acceptable",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

async function inEnvelope(response: Response): Promise<Response> {
  if (response.status < 400) return response;
  const parsed = z
    .object({ error: z.object({ message: z.string() }) })
    .safeParse(await response.json().catch(() => undefined));
  const refused = response.status < 500;
  const body: ErrorBody = {
    error: {
      code: refused ? (transportCodes[response.status] ?? "bad_request") : "internal_error",
      message: refused && parsed.success ? parsed.data.error.message : "Internal server error",
    },
  };
  return Response.json(body, { status: response.status });
}

/**
 * Stateless, so there is no session to open a server-sent stream on (GET) or to end (DELETE). The function
 * answers them itself: behind API Gateway, a method no function routes would be a bare 404, which the SDK's
 * client reports as an error where a 405 tells it the server offers no stream.
 */
const refusedMethods = ["GET", "DELETE"];

function refuse(c: Context) {
  const body: ErrorBody = {
    error: {
      code: "method_not_allowed",
      message: `${c.req.method} is not allowed on /mcp: this server is stateless, so send each JSON-RPC message as a POST`,
    },
  };
  return c.json(body, 405, { Allow: "POST" });
}

/**
 * MCP over Streamable HTTP, stateless: each POST gets a fresh server for its caller's key, so any
 * instance of the function can answer any request and nothing is kept between them. Answers are
 * JSON, never an open SSE stream, so API gateways that buffer responses pass them unchanged.
 */
export function createMcpApp(getContext: ContextProvider) {
  // The SDK's client asks for the stream unbidden right after `initialize`, racing the caller's next
  // request: the refusal must not need the key nor spend its rate limit.
  const app = createFunctionApp(getContext, { openRoutes: [{ methods: refusedMethods, path: "/mcp" }] });

  app.openapi(mcpRoute, async (c) => {
    const message = c.req.valid("json");
    const server = buildMcpServer(c.var.context, { key: c.var.apiKey });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    // Answers are always JSON here, so any client that takes JSON is served (the SDK insists on both types).
    const headers = new Headers(c.req.raw.headers);
    headers.set("accept", "application/json, text/event-stream");
    try {
      const request = new Request(c.req.raw.url, { method: "POST", headers, signal: c.req.raw.signal });
      const answered = await inEnvelope(await transport.handleRequest(request, { parsedBody: message }));
      // Through the context, so the request id and security headers set by the middleware go with it.
      return c.newResponse(await answered.text(), answered.status as StatusCode, Object.fromEntries(answered.headers));
    } finally {
      await server.close();
    }
  });

  app.on(refusedMethods, "/mcp", refuse);
  return app;
}

export const app = createMcpApp(defaultContext);
export const handler = handle(app);
