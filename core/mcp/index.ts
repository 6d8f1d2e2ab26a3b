export { createMcpServer, type McpServerOptions, mcpTools } from "./server.js";
export { type McpCaller, type McpTool, mayUse } from "./tool.js";
