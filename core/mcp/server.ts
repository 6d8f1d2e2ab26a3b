import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { requireScope } from "../auth/index.js";
import type { AppContext } from "../context/index.js";
import { deleteTableTool, ingestTableTool } from "./admin-tools.js";
import { askTool, listSourcesTool, searchTool } from "./read-tools.js";
import { listResources, readResource, resourceTemplates } from "./resources.js";
import { describeTableTool, getRowTool } from "./table-tools.js";
import { type McpCaller, type McpTool, mayUse, ToolInputError } from "./tool.js";

/** Every tool the server knows; each caller is offered those its key's scopes allow. */
export const mcpTools: readonly McpTool[] = [
  searchTool,
  askTool,
  listSourcesTool,
  describeTableTool,
  getRowTool,
  ingestTableTool,
  deleteTableTool,
];

export interface McpServerOptions {
  version: string;
  /**
   * An error as the HTTP envelope states it (code, and a message only below 500), supplied by
   * the caller so MCP and HTTP clients read the same words; core does not know the status mapping.
   */
  describeError(error: unknown): { code: string; message: string };
}

const instructions = [
  "This server answers from the user's own data (databases and files indexed for search).",
  "Use `ask` for a written answer that cites rows as [n]; `search` to find rows; `list_sources` and `describe_table` to learn what data exists; `get_row` to read one row whole by its id.",
].join("\n");

/**
 * An MCP server over the core: tools and resources for one caller, whose key decides what is
 * listed (admin-only tools are absent for other keys). Transport-free: HTTP and stdio connect it.
 * @example const server = createMcpServer(context, { key }, { version: "1.0.0", describeError }); await server.connect(transport)
 */
export function createMcpServer(context: AppContext, caller: McpCaller, options: McpServerOptions): Server {
  const server = new Server(
    { name: context.settings.SERVICE_NAME, title: "Chat with your data", version: options.version },
    { capabilities: { tools: {}, resources: {} }, instructions },
  );
  const offered = mcpTools.filter((tool) => mayUse(caller.key, tool.scope));
  const describe = (error: unknown) =>
    error instanceof ToolInputError ? { code: error.code, message: error.message } : options.describeError(error);

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: offered.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      annotations: {
        title: tool.title,
        readOnlyHint: !tool.destructive,
        destructiveHint: tool.destructive,
        openWorldHint: false,
      },
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = mcpTools.find((candidate) => candidate.name === request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool '${request.params.name}'`);
    try {
      if (caller.key) requireScope(caller.key, tool.scope);
      await caller.admit?.();
      const output = await tool.call(request.params.arguments, { context, caller, signal: extra.signal });
      return { content: [{ type: "text", text: output.text }], structuredContent: output.structured };
    } catch (error) {
      const described = describe(error);
      return {
        content: [{ type: "text", text: `${described.code}: ${described.message}` }],
        structuredContent: { error: described },
        isError: true,
      };
    }
  });

  server.setRequestHandler(ListResourcesRequestSchema, async () => {
    await admitted(caller, describe);
    return { resources: await listResources(context) };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async () => ({ resourceTemplates }));
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    try {
      await caller.admit?.();
      const body = await readResource(context, uri);
      return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(body, null, 2) }] };
    } catch (error) {
      const described = describe(error);
      const code = described.code === "not_found" ? ResourceNotFound : ErrorCode.InvalidRequest;
      throw new McpError(code, `${described.code}: ${described.message}`, { error: described });
    }
  });

  return server;
}

/** MCP's code for a resource that does not exist (the spec's -32002). */
const ResourceNotFound = -32002;

async function admitted(caller: McpCaller, describe: (error: unknown) => { code: string; message: string }) {
  try {
    await caller.admit?.();
  } catch (error) {
    const described = describe(error);
    throw new McpError(ErrorCode.InvalidRequest, `${described.code}: ${described.message}`, { error: described });
  }
}
