import { keyText, keyTuple } from "./key-tuples.js";
import type { RelatedRequest, SourceRow } from "./types.js";
import { readPath, toText } from "./values.js";

const orderValue = (value: unknown): number | string => {
  const text = toText(value);
  const number = Number(text);
  return text !== "" && Number.isFinite(number) ? number : text;
};

function compareRows(left: SourceRow, right: SourceRow, fields: readonly string[]): number {
  for (const field of fields) {
    const a = orderValue(readPath(left, field));
    const b = orderValue(readPath(right, field));
    if (a === b) continue;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a) < String(b) ? -1 : 1;
  }
  return 0;
}

/**
 * The in-memory half of `related()` for sources without window functions (MongoDB, files): rows
 * matching the keys, and with `perKey` the first `limit` of each key in the asked order, ties
 * broken by the table's key so the same rows come every time.
 */
export function limitPerKey(rows: SourceRow[], request: RelatedRequest): SourceRow[] {
  const perKey = request.perKey;
  if (!perKey) return rows;
  const direction = perKey.order === "desc" ? -1 : 1;
  const sorted = [...rows].sort(
    (left, right) =>
      (perKey.orderBy ? direction * compareRows(left, right, [perKey.orderBy]) : 0) ||
      compareRows(left, right, perKey.tieBreak),
  );
  const taken = new Map<string, number>();
  return sorted.filter((row) => {
    const key = keyText(keyTuple(row, request.keyFields) ?? []);
    const count = taken.get(key) ?? 0;
    taken.set(key, count + 1);
    return count < perKey.limit;
  });
}
