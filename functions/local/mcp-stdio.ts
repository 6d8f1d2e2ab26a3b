// `npm run --silent mcp`: the MCP server over stdio, for a desktop client (Claude Desktop, Cursor,
// VS Code) that starts it itself. stdout carries the protocol, so logs go to stderr (and npm's
// script banner must be silenced). See docs/mcp.md for the client configuration.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { findApiKey, RateLimiter, requireScope } from "../../core/auth/index.js";
import type { ApiKeyConfig, Settings } from "../../core/config/index.js";
import { createAppContext } from "../../core/context/index.js";
import { createLogger } from "../../core/logging/index.js";
import { buildMcpServer } from "../shared/mcp-server.js";
import { loadLocalSettings } from "./settings.js";

/** The key this process acts with: none when authentication is off, else MCP_API_KEY, which must be valid. */
function callerKey(settings: Settings): ApiKeyConfig | undefined {
  if (settings.apiKeys.length === 0) return undefined;
  if (!settings.MCP_API_KEY) throw new Error("MCP_API_KEY: required when API keys are configured (API_KEYS)");
  const key = findApiKey(settings.apiKeys, settings.MCP_API_KEY);
  if (!key) throw new Error("MCP_API_KEY: not one of the configured API keys");
  requireScope(key, "chat");
  return key;
}

async function main(): Promise<void> {
  const settings = loadLocalSettings();
  const logger = createLogger(settings, process.stderr);
  let key: ApiKeyConfig | undefined;
  try {
    key = callerKey(settings);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const context = createAppContext(settings, logger);
  const limiter = new RateLimiter(context.redis, { prefix: settings.REDIS_KEY_PREFIX, logger });
  // Over HTTP every request counts against the key's limit; here every tool call and resource read does.
  const admit = key
    ? () => limiter.consume(`key:${key.name}`, key.rate_limit_per_minute ?? settings.RATE_LIMIT_PER_MINUTE)
    : undefined;
  const server = buildMcpServer(context, { key, admit });
  const transport = new StdioServerTransport();
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await server.close().catch(() => undefined);
    await context.close().catch(() => undefined);
    process.exit(0);
  };
  // The client ends the session by closing our stdin (or with a signal).
  process.stdin.once("end", close);
  process.once("SIGINT", close);
  process.once("SIGTERM", close);
  await server.connect(transport);
  logger.info({ tools: key ? key.scopes : "all" }, "mcp server on stdio");
}

await main();
