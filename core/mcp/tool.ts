import { z } from "zod";
import type { ApiKeyConfig, ApiScope } from "../config/index.js";
import type { AppContext } from "../context/index.js";
import { AppError } from "../errors/index.js";

/** Who is calling: the same key, scopes and user binding an HTTP request would carry. */
export interface McpCaller {
  /** Undefined when authentication is off: then every tool is offered, as every HTTP route is open. */
  key: ApiKeyConfig | undefined;
  /** Runs before each tool call and resource read (stdio's rate limit; over HTTP each request is counted instead). */
  admit?: () => Promise<void>;
}

/** What a tool hands back: text for the model to read, and the same facts as structured content. */
export interface ToolOutput {
  text: string;
  structured: Record<string, unknown>;
}

export interface ToolRun {
  context: AppContext;
  caller: McpCaller;
  signal: AbortSignal;
}

/** A tool as the server lists and calls it, its input type erased behind validation. */
export interface McpTool {
  name: string;
  title: string;
  description: string;
  scope: ApiScope;
  /** Ingests or deletes: listed only for admin keys, and marked so a client asks before calling. */
  destructive: boolean;
  inputSchema: { type: "object"; [key: string]: unknown };
  call(args: unknown, run: ToolRun): Promise<ToolOutput>;
}

/** The arguments failed the tool's schema: the same code and message an HTTP body failing its schema gets. */
export class ToolInputError extends AppError {
  constructor(issues: readonly z.core.$ZodIssue[]) {
    const summary = issues
      .map((issue) => {
        const path = issue.path.map(String).join(".");
        return path ? `${path}: ${issue.message}` : issue.message;
      })
      .join("; ");
    super(`Invalid request: ${summary}`, { code: "validation_error" });
    this.name = "ToolInputError";
  }
}

/** Declares a tool with a zod input schema: listed as JSON Schema, arguments parsed before `run` sees them. */
export function defineTool<Input extends z.ZodObject>(definition: {
  name: string;
  title: string;
  description: string;
  scope: ApiScope;
  destructive?: boolean;
  input: Input;
  run(args: z.output<Input>, run: ToolRun): Promise<ToolOutput>;
}): McpTool {
  const { input, run, destructive, ...described } = definition;
  const { $schema: _dialect, ...schema } = z.toJSONSchema(input, { io: "input", unrepresentable: "any" });
  return {
    ...described,
    destructive: destructive ?? false,
    inputSchema: { ...schema, type: "object" },
    async call(args, context) {
      const parsed = input.safeParse(args ?? {});
      if (!parsed.success) throw new ToolInputError(parsed.error.issues);
      return run(parsed.data, context);
    },
  };
}

/** Whether a key may use something needing `scope` (admin includes chat; no key means authentication is off). */
export function mayUse(key: ApiKeyConfig | undefined, scope: ApiScope): boolean {
  return !key || key.scopes.includes(scope) || key.scopes.includes("admin");
}

/** Stored metadata minus bookkeeping a reader has no use for. */
export function readableMetadata(metadata: Record<string, string | number | boolean>) {
  const { content_hash: _hash, ...rest } = metadata;
  return rest;
}
