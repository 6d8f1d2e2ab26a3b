import { readPath, type SourceRow, toText } from "../sources/index.js";
import type { Relation } from "./resolve.js";

/** The related rows found for each parent row, per relation. */
export type Attached = Map<SourceRow, Map<Relation, SourceRow[]>>;

const clean = (value: unknown) => toText(value).replace(/\s+/g, " ").trim();

/** A related row as (path, text) pairs: its fields in the declared order, then its children's, prefixed by their labels. */
function pairs(relation: Relation, row: SourceRow, attached: Attached): [string, string][] {
  const found: [string, string][] = [];
  for (const field of relation.fields) {
    const text = clean(readPath(row, field));
    if (text) found.push([field, text]);
  }
  for (const child of relation.children) {
    for (const childRow of attached.get(row)?.get(child) ?? []) {
      for (const [path, text] of pairs(child, childRow, attached)) found.push([`${child.label}.${path}`, text]);
    }
  }
  return found;
}

/**
 * A row's related lines, in the includes' order: a many-to-one relation gives one line per field
 * (`customer.name: Ada Lovelace`), a one-to-many one line per related row, in the relation's
 * order (`lines: quantity: 2; product.name: Orbit Standing Desk Max`), so one related row's facts
 * stay together on one line and in one chunk.
 */
export function renderRelated(relations: readonly Relation[], row: SourceRow, attached: Attached): string[] {
  const lines: string[] = [];
  for (const relation of relations) {
    const related = attached.get(row)?.get(relation) ?? [];
    if (!relation.many) {
      for (const [path, text] of related.length ? pairs(relation, related[0] as SourceRow, attached) : []) {
        lines.push(`${relation.label}.${path}: ${text}`);
      }
      continue;
    }
    for (const relatedRow of related) {
      const found = pairs(relation, relatedRow, attached);
      if (found.length) lines.push(`${relation.label}: ${found.map(([path, text]) => `${path}: ${text}`).join("; ")}`);
    }
  }
  return lines;
}
