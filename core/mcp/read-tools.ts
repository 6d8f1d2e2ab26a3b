import { z } from "zod";
import { requireUser } from "../auth/index.js";
import { answer, userNameSchema } from "../chat/index.js";
import { search } from "../search/index.js";
import { metadataFiltersSchema } from "../vectors/index.js";
import { defineTool, readableMetadata } from "./tool.js";

const filters = metadataFiltersSchema
  .optional()
  .describe(
    'Metadata equality or {"$in": [...]} per field; `source` and `table` pick where to look, e.g. {"source": "shop", "table": "products"}',
  );

export const searchTool = defineTool({
  name: "search",
  title: "Search the data",
  description:
    "Finds the stored rows that best match a query (by meaning and by exact words), best first, with their source, table, row key, text, score and which side matched. " +
    "Use it to look rows up or to gather evidence; use `ask` instead for a written, cited answer.",
  scope: "chat",
  input: z.object({
    query: z.string().trim().min(1).max(2_000).describe("What to look for, in plain words"),
    mode: z
      .enum(["hybrid", "vector", "keyword"])
      .optional()
      .describe(
        "hybrid (default when the keyword index is configured): meaning and exact words, e.g. SKUs and error codes; vector: meaning only; keyword: exact words only",
      ),
    filters,
    max_results: z.number().int().min(1).max(50).default(5).describe("How many rows to return (1–50)"),
  }),
  async run(args, { context }) {
    const request = { query: args.query, maxResults: args.max_results, filters: args.filters, mode: args.mode };
    const outcome = await search(context, request);
    const results = outcome.results.map((match) => ({
      id: match.id,
      source: String(match.metadata.source ?? ""),
      table: String(match.metadata.table ?? ""),
      row_key: String(match.metadata.row_key ?? ""),
      text: match.content,
      relevance_score: match.relevance_score,
      matched_by: match.matched_by,
      vector_similarity: match.vector_similarity,
      keyword_rank: match.keyword_rank,
      metadata: readableMetadata(match.metadata),
    }));
    const text = results.length
      ? results
          .map(
            (row, index) =>
              `${index + 1}. ${row.source}/${row.table} key ${row.row_key} (id ${row.id}, score ${row.relevance_score.toFixed(3)})\n${row.text}`,
          )
          .join("\n\n")
      : "No stored row matched the query.";
    const notes = outcome.warnings.length ? `\n\nNote: ${outcome.warnings.join("; ")}` : "";
    return {
      text: text + notes,
      structured: {
        query: args.query,
        mode: outcome.mode,
        results,
        ...(outcome.warnings.length ? { warnings: outcome.warnings } : {}),
      },
    };
  },
});

export const askTool = defineTool({
  name: "ask",
  title: "Ask the data",
  description:
    "Answers a question from the stored data only, citing each fact as [n] (a row) or [Qn] (a query the model ran over a whole table, with Gemini or an OpenAI-compatible model), and returns the numbered sources and queries. " +
    "Says so when the data has nothing on it. Name a user_name to carry on that user's saved conversation.",
  scope: "chat",
  input: z.object({
    question: z.string().trim().min(1).max(4_000).describe("The question, in plain words"),
    filters,
    max_results: z.number().int().min(1).max(20).default(5).describe("How many rows to retrieve as evidence (1–20)"),
    user_name: userNameSchema
      .optional()
      .describe("Whose chat history to read and extend; omitted, nothing is read or saved"),
    provider: z.string().min(1).max(32).optional().describe("A configured LLM provider; the default one when omitted"),
  }),
  async run(args, { context, caller, signal }) {
    if (args.user_name !== undefined) requireUser(caller.key, args.user_name);
    const result = await answer(
      context,
      {
        userName: args.user_name,
        message: args.question,
        maxResults: args.max_results,
        includeHistory: args.user_name !== undefined,
        filters: args.filters,
        provider: args.provider,
      },
      signal,
    );
    const sources = result.sources.map((source) => ({
      n: source.n,
      source: String(source.metadata.source ?? ""),
      table: String(source.metadata.table ?? ""),
      row_key: String(source.metadata.row_key ?? ""),
      text: source.content,
      relevance_score: source.relevance_score,
    }));
    const cited = sources.map((source) => `[${source.n}] ${source.source}/${source.table} key ${source.row_key}`);
    const queried = result.queries.map(
      (query) =>
        `[${query.label}] ${"table" in query.spec ? `${query.spec.source}/${query.spec.table}` : `${query.spec.source} (SQL)`}: ${JSON.stringify(query.rows.slice(0, 20))}${query.truncated ? " (more rows matched)" : ""}`,
    );
    const sections = [
      result.response,
      ...(sources.length ? [`Sources:\n${cited.join("\n")}`] : []),
      ...(queried.length ? [`Queries:\n${queried.join("\n")}`] : []),
    ];
    return {
      text: sections.join("\n\n"),
      structured: {
        answer: result.response,
        sources,
        queries: result.queries,
        tool_calls: result.toolCalls,
        provider: result.provider,
        ...(result.warnings.length ? { warnings: result.warnings } : {}),
      },
    };
  },
});

export const listSourcesTool = defineTool({
  name: "list_sources",
  title: "List the data sources",
  description:
    "Lists the configured data sources (databases and file folders) with their kind and how many vectors each has indexed. " +
    "Start here to learn what data there is; then describe_table for a table's columns.",
  scope: "chat",
  input: z.object({}),
  async run(_args, { context }) {
    const sources = await Promise.all(
      context.sources.list().map(async (source) => ({
        ...source,
        // A store that is down should not hide which sources exist.
        indexed_vectors: context.vectors ? await context.vectors.count(source.name).catch(() => null) : null,
      })),
    );
    const text = sources.length
      ? sources
          .map(
            (source) =>
              `${source.name} (${source.kind})${source.description ? `: ${source.description}` : ""}; ${source.indexed_vectors ?? "unknown"} vectors indexed`,
          )
          .join("\n")
      : "No data sources are configured.";
    return { text, structured: { sources } };
  },
});
