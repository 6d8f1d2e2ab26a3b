import type { ColumnSchema } from "./types.js";

const maxDepth = 3;

/** The type name of a value as a reader would say it: BSON types by their own name. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  if (typeof value === "object") {
    const bsonType = (value as { _bsontype?: unknown })._bsontype;
    if (typeof bsonType === "string") return bsonType.toLowerCase();
    return Buffer.isBuffer(value) ? "binary" : "object";
  }
  return typeof value;
}

/**
 * Field paths seen in sampled documents (nested objects as dotted paths, a few levels deep),
 * each with the types seen and the share of documents that have it.
 */
export function inferFields(sample: readonly Record<string, unknown>[]): ColumnSchema[] {
  const seen = new Map<string, { types: Set<string>; documents: number; nulls: number }>();
  for (const document of sample) {
    const pathsInDocument = new Set<string>();
    const visit = (value: Record<string, unknown>, prefix: string, depth: number) => {
      for (const [key, child] of Object.entries(value)) {
        const path = prefix ? `${prefix}.${key}` : key;
        const entry = seen.get(path) ?? { types: new Set<string>(), documents: 0, nulls: 0 };
        const type = typeName(child);
        entry.types.add(type);
        if (type === "null") entry.nulls++;
        if (!pathsInDocument.has(path)) {
          pathsInDocument.add(path);
          entry.documents++;
        }
        seen.set(path, entry);
        if (type === "object" && depth < maxDepth) visit(child as Record<string, unknown>, path, depth + 1);
      }
    };
    visit(document, "", 1);
  }
  const total = Math.max(sample.length, 1);
  return [...seen.entries()].map(([name, entry]) => ({
    name,
    type: [...entry.types].sort().join("|"),
    nullable: entry.nulls > 0 || entry.documents < sample.length,
    presence: Math.round((entry.documents / total) * 1000) / 1000,
  }));
}
