/**
 * The keyword index's one table: a row per stored chunk, keyed like the vector store (source and
 * the vector's id), with the fields filters and the audit use and the chunk's text as a tsvector.
 * The GIN index serves `@@`; the jsonb_path_ops index serves metadata equality (`@>`).
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
  `create index if not exists ${keywordTable}_tsv on ${keywordTable} using gin (tsv)`,
  `create index if not exists ${keywordTable}_rows on ${keywordTable} (source, "table", row_key)`,
  `create index if not exists ${keywordTable}_metadata on ${keywordTable} using gin (metadata jsonb_path_ops)`,
];
