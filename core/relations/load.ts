import {
  distinctKeyTuples,
  keyText,
  keyTuple,
  relatedLines,
  type SourceConnector,
  type SourceRow,
} from "../sources/index.js";
import { type Attached, renderRelated } from "./render.js";
import type { Relation } from "./resolve.js";

/** Rows handed on in pages, so related rows are fetched once per page, never once per row. */
export async function* pagesOf<T>(items: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let page: T[] = [];
  for await (const item of items) {
    page.push(item);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/**
 * Fetches the related rows of a page of rows, one query per relation (and per chain step), with
 * the page's distinct keys bound as one parameter, then renders each row's related lines for
 * rowToDocument. Without relations it does nothing.
 * @example for await (const page of pagesOf(connector.stream(request), 500)) { await loadRelated(connector, relations, page); … }
 */
export async function loadRelated(
  connector: SourceConnector,
  relations: readonly Relation[],
  rows: readonly SourceRow[],
): Promise<void> {
  if (relations.length === 0 || rows.length === 0) return;
  const attached: Attached = new Map();
  await attach(connector, relations, rows, attached);
  for (const row of rows) relatedLines.set(row, renderRelated(relations, row, attached));
}

async function attach(
  connector: SourceConnector,
  relations: readonly Relation[],
  rows: readonly SourceRow[],
  attached: Attached,
): Promise<void> {
  for (const relation of relations) {
    const keys = distinctKeyTuples(rows, relation.parentKeys);
    if (keys.length === 0) continue;
    const found = await connector.related({
      table: relation.table,
      fields: relation.readFields,
      keyFields: relation.childKeys,
      keys,
      ...(relation.many
        ? {
            perKey: {
              limit: relation.limit,
              orderBy: relation.orderBy,
              order: relation.order,
              tieBreak: relation.primaryKey,
            },
          }
        : {}),
    });
    await attach(connector, relation.children, found, attached);
    const byKey = new Map<string, SourceRow[]>();
    for (const row of found) {
      const key = keyText(keyTuple(row, relation.childKeys) ?? []);
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
    for (const row of rows) {
      const value = keyTuple(row, relation.parentKeys);
      if (!value) continue;
      const matched = byKey.get(keyText(value));
      if (!matched) continue;
      const forRow = attached.get(row) ?? new Map<Relation, SourceRow[]>();
      forRow.set(relation, relation.many ? matched.slice(0, relation.limit) : matched.slice(0, 1));
      attached.set(row, forRow);
    }
  }
}
