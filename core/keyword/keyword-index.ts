import type pg from "pg";
import { metrics } from "../metrics/index.js";
import type { StoredMetadata, VectorRecord } from "../vectors/index.js";
import { KeywordIndexUnavailableError, RumExtensionMissingError } from "./errors.js";
import { pgJson, pgText } from "./pg-text.js";
import { type KeywordRanking, keywordSchemaStatements, keywordTable, textIndexStatements } from "./schema.js";
import { type KeywordFilters, whereClause } from "./where.js";

export interface KeywordMatch {
  id: string;
  content: string;
  metadata: Record<string, string | number | boolean>;
  /** `ts_rank` with length normalisation (flag 1): higher is better, unbounded above. */
  score: number;
  /**
   * When the query is an identifier (a code, a constant, an option): 2 if this chunk holds it verbatim,
   * 1 if only in another case (`EMPHASIS` in a row that says `emphasis`), else 0.
   */
  verbatim: 0 | 1 | 2;
}

/**
 * Whether a query is one identifier rather than words: a single token with a digit, an underscore,
 * an inner hyphen, dot, colon or slash, a leading dash, or two capitals (`SKU-LM-4729`, `RWF_APPEND`,
 * `EINVAL`, `--dry-run`, `tm_gmtoff`); plain words (`desk`, `Backpack`) are not.
 */
export function isIdentifier(query: string): boolean {
  const token = query.trim();
  if (token.length < 3 || token.length > 100 || /\s/.test(token)) return false;
  return /[0-9_]|\w[-.:/]\w|^--?\w/.test(token) || (token.match(/\p{Lu}/gu)?.length ?? 0) >= 2;
}

/**
 * The tsqueries a query is built into: its words OR-ed, AND-ed, and (3 to `mostWordsAtMost` words) the OR of
 * the conjunctions of all its words but one.
 */
type Words = "any_word" | "every_word" | "most_words";

/** Beyond this many words the conjunctions of all but one (n × (n − 1) terms) are not built. */
const mostWordsAtMost = 10;

/** What a keyword row holds of a stored chunk: the vector store's record without its vector. */
export type KeywordRecord = Pick<VectorRecord, "id" | "document" | "metadata">;

/** PostgreSQL text cannot hold NUL; the vector store keeps the exact text, the index only its words. */
const indexable = (text: string) => pgText(text.replaceAll("\u0000", " "));

/**
 * PostgreSQL full-text search over the stored chunks, kept in step with the vector store (which
 * calls the write methods after each of its own writes). Queries are built from the query text's
 * lexemes, OR-ed and ranked by length-normalised `ts_rank`: user text never reaches tsquery syntax.
 */
export class KeywordIndex {
  private ready: Promise<KeywordRanking> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly textConfig: string,
    /** RUM-ordered matches ranked by ts_rank; 0: every match. */
    private readonly rankPool: number,
    private readonly textIndex: KeywordRanking = "gin",
  ) {}

  async upsert(source: string, records: readonly KeywordRecord[]): Promise<void> {
    if (records.length === 0) return;
    const field = (record: KeywordRecord, key: string) => {
      const value = record.metadata[key];
      return value === undefined ? null : pgText(String(value));
    };
    await this.run(
      "upsert",
      `insert into ${keywordTable} (source, id, "table", row_key, content_hash, metadata, content, tsv)
       select $1, r.id, r.tbl, r.row_key, r.hash, r.metadata, r.content, to_tsvector($2::regconfig, r.content)
       from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])
         as r(id, tbl, row_key, hash, metadata, content)
       on conflict (source, id) do update set "table" = excluded."table", row_key = excluded.row_key,
         content_hash = excluded.content_hash, metadata = excluded.metadata, content = excluded.content,
         tsv = excluded.tsv`,
      [
        source,
        this.textConfig,
        records.map((record) => record.id),
        records.map((record) => field(record, "table") ?? ""),
        records.map((record) => field(record, "row_key")),
        records.map((record) => field(record, "content_hash")),
        records.map((record) => pgJson(record.metadata)),
        records.map((record) => indexable(record.document)),
      ],
    );
  }

  /** Merges metadata like Chroma's update does: keys left out keep their values. */
  async updateMetadata(source: string, records: readonly StoredMetadata[]): Promise<void> {
    if (records.length === 0) return;
    await this.run(
      "update",
      `update ${keywordTable} k set metadata = k.metadata || r.metadata,
         "table" = coalesce(r.metadata->>'table', k."table"),
         row_key = coalesce(r.metadata->>'row_key', k.row_key),
         content_hash = coalesce(r.metadata->>'content_hash', k.content_hash)
       from unnest($2::text[], $3::jsonb[]) as r(id, metadata)
       where k.source = $1 and k.id = r.id`,
      [source, records.map((record) => record.id), records.map((record) => pgJson(record.metadata))],
    );
  }

  async deleteIds(source: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run("delete", `delete from ${keywordTable} where source = $1 and id = any($2::text[])`, [
      source,
      [...ids],
    ]);
  }

  async deleteRows(source: string, table: string, rowKeys: readonly string[]): Promise<void> {
    if (rowKeys.length === 0) return;
    await this.run(
      "delete",
      `delete from ${keywordTable} where source = $1 and "table" = $2 and row_key = any($3::text[])`,
      [source, table, [...rowKeys]],
    );
  }

  async deleteTable(source: string, table: string): Promise<void> {
    await this.run("delete", `delete from ${keywordTable} where source = $1 and "table" = $2`, [source, table]);
  }

  async deleteSource(source: string): Promise<void> {
    await this.run("delete", `delete from ${keywordTable} where source = $1`, [source]);
  }

  /** Ids and content hashes of those of `ids` that are indexed, for the audit. */
  async hashes(source: string, ids: readonly string[]): Promise<Map<string, string | null>> {
    if (ids.length === 0) return new Map();
    const result = await this.run<{ id: string; content_hash: string | null }>(
      "get",
      `select id, content_hash from ${keywordTable} where source = $1 and id = any($2::text[])`,
      [source, [...ids]],
    );
    return new Map(result.rows.map((row) => [row.id, row.content_hash]));
  }

  /** One page of a table's indexed ids, in id order, after `afterId`; the audit walks them for extras. */
  async pageIds(source: string, table: string, page: { limit: number; afterId?: string }): Promise<string[]> {
    const result = await this.run<{ id: string }>(
      "get",
      `select id from ${keywordTable} where source = $1 and "table" = $2 and id > $3 order by id limit $4`,
      [source, table, page.afterId ?? "", page.limit],
    );
    return result.rows.map((row) => row.id);
  }

  /**
   * The chunks whose text shares words with the query, best first. The query's lexemes come from
   * `to_tsvector` of its text (so stemming and stop words match the index), each quoted, and the cast
   * to tsquery takes them as they are; a query of stop words alone matches nothing.
   *
   * Chunks holding every word are gathered first; only when they are fewer than `fallbackBelow` (default
   * `k`) are the chunks holding some of the words added, up to `k` in all (hybrid search takes more
   * candidates than it needs to fall back for). Ranking every chunk that shares one common word with the
   * query is what costs (a third of a 100,000-chunk source for a five-word query; with GIN each is read from
   * the table), and the chunks that hold all the words are nearly always among the best ranked anyway
   * (docs/retrieval.md gives the figures). With GIN, a query of 3 to 10 words takes the chunks holding all
   * its words but one before falling back further: one word missing from the best chunk (a query's word
   * its answer does not use) would otherwise send most queries to the costly fallback; RUM's pool bounds
   * that fallback already. Every candidate is scored against the OR of the words, so a score does not
   * depend on which set found it.
   */
  async query(
    text: string,
    options: { k: number; fallbackBelow?: number | undefined; filters?: KeywordFilters | undefined },
  ): Promise<KeywordMatch[]> {
    const query = indexable(text);
    // An identifier's parts are OR-ed like any words, so rows rich in one part would outrank the one row
    // holding the identifier itself: rows containing it verbatim come first, an order no index serves.
    const identifier = isIdentifier(query);
    const fallbackBelow = Math.min(options.fallbackBelow ?? options.k, options.k);
    const params: unknown[] = [this.textConfig, query, options.k, identifier, fallbackBelow];
    const where = whereClause(options.filters, params);
    const matching = (words: Words) => `k.tsv @@ (select ${words} from q)${where ? ` and ${where}` : ""}`;
    // RUM hands over matches in its own rank order (ts_rank without length normalisation, which ranks
    // worse on its own), so only a bounded pool of them is ranked by ts_rank: on the retrieval corpus
    // that pool gave the same hit@1, hit@5 and MRR as ranking every match (docs/retrieval.md).
    const pool = (ranking: KeywordRanking, words: Words) =>
      ranking === "rum" && !identifier && this.rankPool > 0
        ? ` order by k.tsv <=> (select ${words} from q) limit ${Math.max(this.rankPool, 4 * options.k)}`
        : "";
    const result = await this.run<{
      id: string;
      content: string;
      metadata: KeywordMatch["metadata"];
      score: number;
      verbatim: 0 | 1 | 2;
    }>(
      "query",
      (ranking) => `with words as (
         select '''' || replace(lexeme, '''', '''''') || '''' as quoted
         from unnest(tsvector_to_array(to_tsvector($1::regconfig, $2::text))) as lexeme
         where lexeme !~ '\\\\'
       ),
       q as (
         select string_agg(quoted, ' | ')::tsquery as any_word, string_agg(quoted, ' & ')::tsquery as every_word,
           case when count(*) between 3 and ${mostWordsAtMost} then (
             select string_agg('(' || (select string_agg(b.quoted, ' & ') from words b where b.quoted <> a.quoted) || ')', ' | ')
             from words a) end::tsquery as most_words
         from words
       ),
       with_every_word as materialized (
         select k.id, k.content, k.metadata, k.tsv from ${keywordTable} k
         where ${matching("every_word")}${pool(ranking, "every_word")}
       ),
       with_most_words as materialized (
         select k.id, k.content, k.metadata, k.tsv from ${keywordTable} k
         where ${ranking === "gin" ? "" : "false and "}(select count(*) from with_every_word) < $5
           and (select most_words from q) is not null and not (k.tsv @@ (select every_word from q))
           and ${matching("most_words")}
       ),
       with_some_words as (
         select k.id, k.content, k.metadata, k.tsv from ${keywordTable} k
         where (select count(*) from with_every_word) + (select count(*) from with_most_words) < $5
           and not (k.tsv @@ (select ${ranking === "gin" ? "coalesce(most_words, every_word)" : "every_word"} from q))
           and ${matching("any_word")}${pool(ranking, "any_word")}
       )
       select c.id, c.content, c.metadata, ts_rank(c.tsv, (select any_word from q), 1)::float8 as score,
         case when not $4::boolean then 0 when strpos(c.content, $2::text) > 0 then 2
           when strpos(lower(c.content), lower($2::text)) > 0 then 1 else 0 end as verbatim
       from (select * from with_every_word union all select * from with_most_words
             union all select * from with_some_words) c
       order by verbatim desc, score desc, c.id
       limit $3`,
      params,
    );
    return result.rows.map((row) => ({
      id: row.id,
      content: row.content,
      metadata: row.metadata,
      score: row.score,
      verbatim: row.verbatim,
    }));
  }

  async ping(): Promise<string> {
    const result = await this.run<{ version: string; ranking: KeywordRanking }>(
      "get",
      (ranking) => `select current_setting('server_version') as version, '${ranking}' as ranking`,
      [],
    );
    const { version = "?", ranking = "?" } = result.rows[0] ?? {};
    return `postgresql ${version} (${this.textConfig}, ${ranking})`;
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private ensureSchema(): Promise<KeywordRanking> {
    if (!this.ready) {
      const creating = (async () => {
        const client = await this.pool.connect();
        try {
          // Two processes creating the table at once would collide on the catalogue: serialise them.
          await client.query("select pg_advisory_lock(hashtext($1))", [keywordTable]);
          try {
            for (const statement of keywordSchemaStatements) await client.query(statement);
            const { rows } = await client.query<{ rum: boolean }>(
              "select exists (select 1 from pg_extension where extname = 'rum') as rum",
            );
            if (this.textIndex === "rum" && !rows[0]?.rum) throw new RumExtensionMissingError();
            for (const statement of textIndexStatements[this.textIndex]) await client.query(statement);
            return this.textIndex;
          } finally {
            await client.query("select pg_advisory_unlock(hashtext($1))", [keywordTable]);
          }
        } finally {
          client.release();
        }
      })();
      this.ready = creating;
      creating.catch(() => {
        if (this.ready === creating) this.ready = undefined;
      });
    }
    return this.ready;
  }

  /** Connection failures become the typed 503 error; anything else (a bug, bad SQL) keeps its own error. */
  private async run<Row extends pg.QueryResultRow>(
    operation: string,
    sql: string | ((ranking: KeywordRanking) => string),
    params: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    const timed = metrics.keywordIndexSeconds.startTimer({ operation });
    const attempt = async () => {
      const ranking = await this.ensureSchema();
      return this.pool.query<Row>(typeof sql === "string" ? sql : sql(ranking), params);
    };
    try {
      // Every statement here is idempotent, so a connection that failed to open is tried once more: in a
      // process that also embeds, a model batch can hold the event loop past the connect timeout.
      const result = await attempt().catch((error: unknown) => {
        if (!isConnectionFailure(error)) throw error;
        return attempt();
      });
      timed();
      return result;
    } catch (error) {
      if (isConnectionFailure(error)) {
        metrics.componentErrors.inc({ component: "keyword_index", kind: "unavailable" });
        throw new KeywordIndexUnavailableError(error);
      }
      metrics.componentErrors.inc({ component: "keyword_index", kind: "request" });
      throw error;
    }
  }
}

/** Errors that mean "the database is not there (now)", as opposed to a statement it refused. */
function isConnectionFailure(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? "");
  const message = String((error as Error).message ?? "");
  // 08: connection exceptions; 57P: operator intervention (shutdown, terminated); 53: resources.
  return (
    /^(08|57P|53)/.test(code) ||
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|timeout exceeded|Connection terminated|connect ENOENT|database .* does not exist/i.test(
      message,
    ) ||
    code === "3D000"
  );
}
