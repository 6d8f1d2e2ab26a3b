import { createHash } from "node:crypto";
import { jsonReplacer, type MetadataValue, readPath, toMetadataValue, toText } from "./values.js";

export interface DocumentShape {
  source: string;
  table: string;
  textFields: readonly string[];
  metadataFields: readonly string[];
  /** Empty: the id hashes the row's selected values (see docs/sources.md: an edited row then gets a new id). */
  primaryKey: readonly string[];
}

export interface SourceDocument {
  /** `source:table:key`, the same on every run for the same row. */
  id: string;
  text: string;
  metadata: Record<string, MetadataValue>;
  /** sha256 of the text: unchanged text means no re-embedding. */
  contentHash: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Turns one row into a document: labelled text lines from the text fields, safe metadata
 * from the others plus `source`, `table`, `row_key` and `content_hash`, and a deterministic id.
 * @example rowToDocument({ id: 7, title: "Desk", price: 120 }, { source: "shop", table: "products", textFields: ["title"], metadataFields: ["price"], primaryKey: ["id"] })
 *   // → id "shop:products:7", text "title: Desk", metadata { price: 120, source: "shop", table: "products", ... }
 */
export function rowToDocument(row: Record<string, unknown>, shape: DocumentShape): SourceDocument {
  const lines: string[] = [];
  for (const field of shape.textFields) {
    const text = toText(readPath(row, field)).trim();
    if (text) lines.push(`${field}: ${text}`);
  }
  const text = lines.join("\n");
  const metadata: Record<string, MetadataValue> = {};
  for (const field of shape.metadataFields) {
    const value = toMetadataValue(readPath(row, field));
    if (value !== undefined) metadata[field] = value;
  }
  const key = rowKey(row, shape);
  const contentHash = sha256(text);
  Object.assign(metadata, { source: shape.source, table: shape.table, row_key: key, content_hash: contentHash });
  return { id: `${shape.source}:${shape.table}:${key}`, text, metadata, contentHash };
}

/**
 * The key part of an id. One key column: its value as text. Composite keys: each value
 * URI-encoded and joined with ',', so no value can imitate the separator. No key: `h:` and a
 * hash of the selected values.
 */
export function rowKey(
  row: Record<string, unknown>,
  shape: Pick<DocumentShape, "primaryKey" | "textFields" | "metadataFields">,
): string {
  if (shape.primaryKey.length === 1) return toText(readPath(row, shape.primaryKey[0] as string));
  if (shape.primaryKey.length > 1) {
    return shape.primaryKey.map((column) => encodeURIComponent(toText(readPath(row, column)))).join(",");
  }
  const fields = [...new Set([...shape.textFields, ...shape.metadataFields])].sort();
  const values = fields.map((field) => [field, readPath(row, field) ?? null]);
  return `h:${sha256(JSON.stringify(values, jsonReplacer)).slice(0, 32)}`;
}
