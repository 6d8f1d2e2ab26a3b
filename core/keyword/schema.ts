/**
 * The keyword index's one table: a row per stored chunk, keyed like the vector store (source and
 * the vector's id), with the fields filters and the audit use and the chunk's text as a tsvector.
 * The jsonb_path_ops index serves metadata equality (`@>`).
 */
export const keywordTable = "keyword_chunks";

export const keywordSchemaStatements = [
  `create table if not exists ${keywordTable} (
    source text not null,
    id text not null,
    "table" text not null,
    row_key text,
    content_hash text,
    metadata jsonb not null,
    content text not null,
    tsv tsvector not null,
    primary key (source, id)
  )`,
  `create index if not exists ${keywordTable}_rows on ${keywordTable} (source, "table", row_key)`,
  `create index if not exists ${keywordTable}_metadata on ${keywordTable} using gin (metadata jsonb_path_ops)`,
];

/**
 * How matches are found and ordered. GIN finds matches but keeps no positions, so every match is
 * fetched and ranked; RUM (the `rum` extension, when the database has it) keeps them and returns
 * matches in rank order, so a query over a large source ranks a bounded pool instead.
 */
export type KeywordRanking = "gin" | "rum";

export const textIndexStatements: Record<KeywordRanking, string[]> = {
  // A RUM index left by an earlier SEARCH_TEXT_INDEX=rum is dropped: it would slow every write, and
  // RUM is opt-in because one corrupted under concurrent writers (docs/retrieval.md).
  gin: [
    `create index if not exists ${keywordTable}_tsv on ${keywordTable} using gin (tsv)`,
    `drop index if exists ${keywordTable}_rum`,
  ],
  // The GIN index stays beside it: switching back needs no rebuild, and `@@` may use either.
  rum: [
    `create index if not exists ${keywordTable}_tsv on ${keywordTable} using gin (tsv)`,
    `create index if not exists ${keywordTable}_rum on ${keywordTable} using rum (tsv rum_tsvector_ops)`,
  ],
};
