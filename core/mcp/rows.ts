import { sourceNameSchema } from "../config/index.js";
import { NotFoundError } from "../errors/index.js";
import type { VectorStore } from "../vectors/index.js";
import { joinChunks } from "./join-chunks.js";
import { readableMetadata } from "./tool.js";

/**
 * A stored document by id. Ids are `source:table:key` (rowToDocument); a row too long for one
 * vector was stored as `id#0`, `id#1`, …, which are found by table and key and joined in order.
 * @example await storedDocument(vectors, "shop:products:42")
 */
export async function storedDocument(vectors: VectorStore, id: string) {
  const [source = "", table = "", ...rest] = id.split(":");
  const key = rest.join(":");
  const missing = () => new NotFoundError(`no stored document has id '${id}'`, { id });
  if (!sourceNameSchema.safeParse(source).success || !table || !key) throw missing();
  const [exact] = await vectors.get(source, { ids: [id] });
  const chunks = exact
    ? [exact]
    : (await vectors.get(source, { where: { $and: [{ table: { $eq: table } }, { row_key: { $eq: key } }] } })).sort(
        (a, b) => Number(a.metadata.chunk ?? 0) - Number(b.metadata.chunk ?? 0),
      );
  const first = chunks[0];
  if (!first) throw missing();
  const { chunk: _chunk, chunks: _count, ...metadata } = readableMetadata(first.metadata);
  const hash = first.metadata.content_hash;
  return {
    id,
    source: String(first.metadata.source ?? source),
    table: String(first.metadata.table ?? table),
    row_key: String(first.metadata.row_key ?? key),
    text: joinChunks(
      chunks.map((chunk) => chunk.content),
      typeof hash === "string" ? hash : undefined,
    ),
    chunks: chunks.length,
    metadata,
  };
}
