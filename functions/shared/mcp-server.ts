import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { AppContext } from "../../core/context/index.js";
import { createMcpServer, type McpCaller } from "../../core/mcp/index.js";
import packageJson from "../../package.json" with { type: "json" };
import { mapError } from "../http/shared/errors.js";

/**
 * The MCP server for one caller, its tool errors stated as the HTTP error envelope states them
 * (same code, same message, nothing above 400 but a generic one), server failures logged.
 */
export function buildMcpServer(context: AppContext, caller: McpCaller): Server {
  return createMcpServer(context, caller, {
    version: packageJson.version,
    describeError(error) {
      const mapped = mapError(error);
      if (mapped.status >= 500) context.logger.error({ err: error, transport: "mcp" }, "mcp call failed");
      return { code: mapped.body.error.code, message: mapped.body.error.message };
    },
  });
}
