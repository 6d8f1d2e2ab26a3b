import { z } from "zod";
import type { LlmToolCall, LlmToolDefinition } from "../llm/index.js";
import {
  allowedSqlFunctions,
  type QueryResult,
  queryRowCap,
  querySpecSchema,
  runQuery,
  runSql,
  type SqlResult,
} from "../query/index.js";
import { search } from "../search/index.js";
import type { MetadataFilters } from "../vectors/index.js";
import { allowedValues } from "./filters.js";
import { type ChatSource, chatSource, rowFields } from "./prompt.js";
import type { QueryableTable } from "./queryable.js";
import { type ToolFailure, toolFailure } from "./tool-errors.js";

/** A query (a spec, or SQL where allowed) the model ran, numbered so the answer can cite it as [Qn]. */
export type ChatQueryResult = (QueryResult | SqlResult) & {
  /** "Q1", "Q2", …: cited in the answer as [Q1]. */
  label: string;
};

/** One call the model made and what came of it: a result, or an error it was told about (and nothing ran). */
export interface ChatToolCall {
  /** "call_1", "call_2", … in the order the model made them. */
  id: string;
  name: string;
  arguments: unknown;
  /** `query`: the numbered result; `search`: the rows found, numbered as cited. */
  result?: ChatQueryResult | { sources: ChatSource[] } | undefined;
  error?: ToolFailure | undefined;
}

/** What the model is told of a call, and what the caller records. */
export interface ToolOutcome {
  output: Record<string, unknown>;
  isError: boolean;
  record: ChatToolCall;
}

/** Rows of one query result shown to the model; the caller gets them all (up to the spec's limit). */
export const toolRowsShown = 100;
const searchMaxResults = 10;

export interface ToolboxDependencies {
  dependencies: Parameters<typeof runQuery>[0] & Parameters<typeof search>[0];
  /** The chat's own filters: a tool may narrow them, never widen them. */
  filters: MetadataFilters | undefined;
  /** Tables open to `query` within those filters. */
  tables: readonly QueryableTable[];
  /** The sources already in the prompt, numbered [1]…[k]; rows a search finds continue the numbering. */
  sources: readonly ChatSource[];
}

/**
 * The tools one chat offers (`search` always, `query` when a table is open) and their execution.
 * Failures the model can correct come back as errors for it to read; nothing runs for them.
 */
export class ChatToolbox {
  readonly definitions: LlmToolDefinition[];
  /** Rows found by `search` calls, numbered after the prompt's. */
  readonly foundSources: ChatSource[] = [];
  readonly queries: ChatQueryResult[] = [];
  private readonly options: ToolboxDependencies;
  private readonly numbered = new Map<string, number>();
  private nextSource: number;

  constructor(options: ToolboxDependencies) {
    this.options = options;
    for (const source of options.sources) this.numbered.set(sourceKey(source), source.n);
    this.nextSource = Math.max(0, ...options.sources.map((source) => source.n)) + 1;
    const sqlTables = options.tables.filter((table) => table.sqlSchema !== undefined);
    this.definitions = [
      searchDefinition(options),
      ...(options.tables.length ? [queryDefinition(options.tables)] : []),
      ...(sqlTables.length ? [sqlDefinition(sqlTables)] : []),
    ];
  }

  /** Runs one call; `id` is the loop's number for it. */
  async run(id: string, call: LlmToolCall): Promise<ToolOutcome> {
    const record: ChatToolCall = { id, name: call.name, arguments: call.arguments ?? null };
    try {
      if (call.arguments === undefined) {
        return failed(record, {
          code: "invalid_arguments",
          message: "the arguments were not valid JSON; send a JSON object",
        });
      }
      if (call.name === "query") return await this.query(record, call.arguments);
      if (call.name === "sql" && this.definitions.some((tool) => tool.name === "sql")) {
        return await this.sql(record, call.arguments);
      }
      if (call.name === "search" && this.definitions.some((tool) => tool.name === "search")) {
        return await this.search(record, call.arguments);
      }
      const offered = this.definitions.map((tool) => tool.name).join(", ");
      return failed(record, { code: "unknown_tool", message: `there is no tool '${call.name}'; offered: ${offered}` });
    } catch (error) {
      const failure = toolFailure(error);
      if (!failure) throw error;
      return failed(record, failure);
    }
  }

  private async query(record: ChatToolCall, args: unknown): Promise<ToolOutcome> {
    if (!this.options.tables.length) {
      return failed(record, { code: "unknown_tool", message: "no table is open to queries in this chat" });
    }
    const spec = querySpecSchema.parse(args);
    const open = this.options.tables.find((table) => table.source === spec.source && table.table === spec.table);
    if (!open) {
      return failed(record, {
        code: "table_not_allowed",
        message: `table '${spec.table}' of source '${spec.source}' is not open to queries in this chat; open: ${tableList(this.options.tables)}`,
      });
    }
    return this.labelled(record, await runQuery(this.options.dependencies, spec));
  }

  /** A model's own SELECT, on a PostgreSQL source with allow_sql, over the tables open to queries there. */
  private async sql(record: ChatToolCall, args: unknown): Promise<ToolOutcome> {
    const parsed = sqlArguments.parse(args);
    const tables = this.options.tables.filter((table) => table.source === parsed.source && table.sqlSchema);
    const schema = tables[0]?.sqlSchema;
    if (!schema) {
      return failed(record, {
        code: "source_not_allowed",
        message: `source '${parsed.source}' does not take SQL in this chat; these do: ${[...new Set(this.options.tables.filter((table) => table.sqlSchema).map((table) => table.source))].join(", ")}`,
      });
    }
    const allowance = {
      schema,
      tables: new Map(tables.map((table) => [table.table, new Set(table.columns.map((column) => column.name))])),
    };
    return this.labelled(record, await runSql(this.options.dependencies, parsed.source, parsed.sql, allowance));
  }

  private labelled(record: ChatToolCall, result: QueryResult | SqlResult): ToolOutcome {
    const numbered: ChatQueryResult = { label: `Q${this.queries.length + 1}`, ...result };
    this.queries.push(numbered);
    record.result = numbered;
    const shown = result.rows.slice(0, toolRowsShown);
    return {
      isError: false,
      record,
      output: {
        cite_as: `[${numbered.label}]`,
        columns: result.columns,
        rows: shown,
        truncated: result.truncated,
        ...(shown.length < result.rows.length
          ? { note: `only the first ${shown.length} of ${result.rows.length} rows are shown here` }
          : {}),
      },
    };
  }

  private async search(record: ChatToolCall, args: unknown): Promise<ToolOutcome> {
    const parsed = searchArguments.parse(args);
    const filters = narrowed(this.options.filters, parsed);
    if (typeof filters === "string") return failed(record, { code: "source_not_allowed", message: filters });
    const outcome = await search(this.options.dependencies, {
      query: parsed.query,
      maxResults: parsed.max_results,
      filters,
    });
    const sources = outcome.results.map((match) => {
      const source = chatSource(match, 0);
      const key = sourceKey(source);
      const known = this.numbered.get(key);
      if (known !== undefined) return { ...source, n: known };
      const numbered = { ...source, n: this.nextSource++ };
      this.numbered.set(key, numbered.n);
      this.foundSources.push(numbered);
      return numbered;
    });
    record.result = { sources };
    return {
      isError: false,
      record,
      output: {
        documents: sources.map((source) => ({
          cite_as: `[${source.n}]`,
          fields: rowFields(source.metadata),
          text: source.content,
        })),
        ...(sources.length ? {} : { note: "no stored row matched" }),
      },
    };
  }
}

const sqlArguments = z
  .object({ source: z.string().min(1).max(64), sql: z.string().trim().min(1).max(20_000) })
  .strict();

const searchArguments = z
  .object({
    query: z.string().trim().min(1).max(2_000),
    max_results: z.number().int().min(1).max(searchMaxResults).default(5),
    source: z.string().min(1).max(64).optional(),
    table: z.string().min(1).max(256).optional(),
  })
  .strict();

function failed(record: ChatToolCall, error: ToolFailure): ToolOutcome {
  record.error = error;
  return { isError: true, record, output: { code: error.code, message: error.message } };
}

function sourceKey(source: ChatSource): string {
  const { metadata } = source;
  return JSON.stringify([metadata.source, metadata.table, metadata.row_key, source.content]);
}

/** The chat's filters narrowed to a search's source and table; a message when they would widen them. */
function narrowed(
  filters: MetadataFilters | undefined,
  args: { source?: string | undefined; table?: string | undefined },
): MetadataFilters | undefined | string {
  const next: MetadataFilters = { ...filters };
  for (const field of ["source", "table"] as const) {
    const wanted = args[field];
    if (wanted === undefined) continue;
    const allowed = allowedValues(filters?.[field]);
    if (allowed && !allowed.includes(wanted)) {
      return `this chat is limited to ${field} ${allowed.map((value) => `'${value}'`).join(", ")}; '${wanted}' is outside it`;
    }
    next[field] = wanted;
  }
  return Object.keys(next).length ? next : undefined;
}

function tableList(tables: readonly QueryableTable[]): string {
  return tables.map((table) => `${table.source}/${table.table}`).join(", ");
}

function searchDefinition(options: ToolboxDependencies): LlmToolDefinition {
  return {
    name: "search",
    description:
      "Finds more stored rows that match a query, by meaning and by exact words, best first. Each row comes with " +
      "the number to cite it by, continuing the numbering of the documents you already have: cite as [n]. " +
      "Use it when the documents supplied do not hold what the question needs.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "What to look for, in plain words" },
        max_results: { type: "integer", minimum: 1, maximum: searchMaxResults, description: "Rows wanted (1–10)" },
        source: {
          type: "string",
          description: "Only this source",
          ...(allowedValues(options.filters?.source) ? { enum: allowedValues(options.filters?.source) } : {}),
        },
        table: { type: "string", description: "Only this table" },
      },
      required: ["query"],
      additionalProperties: false,
    },
  };
}

/** One line per open table: its source, name, and columns with their types, as the model reads them. */
function describeTables(tables: readonly QueryableTable[]): string {
  return tables
    .map(
      (table) =>
        `- source "${table.source}", table "${table.table}": ${table.columns.map((column) => `${column.name} (${column.type})`).join(", ")}`,
    )
    .join("\n");
}

/**
 * The query tool, its schema the spec's own with `source` and `table` limited to the open tables,
 * and the tables' columns and types in its description, so the model can write a valid spec at once.
 */
function queryDefinition(tables: readonly QueryableTable[]): LlmToolDefinition {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(querySpecSchema, { io: "input", unrepresentable: "any" });
  const properties = { ...(schema.properties as Record<string, Record<string, unknown>>) };
  properties.source = { type: "string", enum: [...new Set(tables.map((table) => table.source))] };
  properties.table = { type: "string", enum: [...new Set(tables.map((table) => table.table))] };
  const described = describeTables(tables);
  return {
    name: "query",
    description: [
      "Computes over whole tables: filters, then optional group_by and aggregates (count, count_distinct, sum, avg, min, max),",
      `order_by and limit (at most ${queryRowCap}). Use it for any question of quantity: the cheapest, how many, the average, totals, the newest.`,
      "Filters: {column, op, value} with op eq, ne, gt, gte, lt, lte, in, is_null, not_null, or contains (case-insensitive text).",
      "Each result has a label to cite it by: cite the numbers it gives as [Q1], [Q2].",
      "Tables open to queries, with their columns and types:",
      described,
    ].join("\n"),
    parameters: { ...schema, properties, type: "object" },
  };
}

/** The SQL tool: one SELECT over the tables of PostgreSQL sources that allow it, with their columns and the allowed functions. */
function sqlDefinition(tables: readonly QueryableTable[]): LlmToolDefinition {
  const described = describeTables(tables);
  return {
    name: "sql",
    description: [
      "Runs one read-only PostgreSQL SELECT that you write, for what `query` cannot express (joins, expressions, subqueries).",
      `Only these tables and columns; no WITH, no INTO, no locking, no second statement; at most ${queryRowCap} rows come back.`,
      `Functions allowed: ${[...allowedSqlFunctions].join(", ")}.`,
      "A refused statement comes back as an error naming what to change. Cite the result by its label, like [Q1].",
      described,
    ].join("\n"),
    parameters: {
      type: "object",
      properties: {
        source: { type: "string", enum: [...new Set(tables.map((table) => table.source))] },
        sql: { type: "string", description: "One SELECT statement" },
      },
      required: ["source", "sql"],
      additionalProperties: false,
    },
  };
}
