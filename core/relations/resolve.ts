import type { Settings } from "../config/index.js";
import {
  type Selection,
  type SourceConnector,
  type TableForeignKeys,
  TableNotFoundError,
  type TableSchema,
} from "../sources/index.js";
import { type RelationProblem, UnknownRelationsError } from "./errors.js";
import type { IncludeSpec, NestedIncludeSpec } from "./spec.js";

export type RelationSettings = Pick<Settings, "INCLUDE_MAX_DEPTH" | "INCLUDE_MAX_RELATED_ROWS">;

/** An include checked against the schemas: how a parent row finds its related rows, and what to render. */
export interface Relation {
  /** Labels from the ingested table down, `lines.product`: names it in state and errors. */
  path: string;
  label: string;
  table: string;
  fields: string[];
  /** The parent's columns whose values are looked up (several for a composite foreign key)… */
  parentKeys: string[];
  /** …in these columns of the related table, in the same order. */
  childKeys: string[];
  /** One-to-many: up to `limit` rows per parent; many-to-one: at most one. */
  many: boolean;
  limit: number;
  orderBy: string | undefined;
  order: "asc" | "desc";
  primaryKey: string[];
  /** What is read of the related table: fields, keys (own and the children's), order and watermark. */
  readFields: string[];
  watermarkColumn: string | undefined;
  children: Relation[];
}

export const defaultOneToManyLimit = 20;

interface Join {
  parentKeys: string[];
  childKeys: string[];
  many: boolean;
  /** The referencing column (a composite key's, joined by commas), as `via` names it. */
  via: string;
}

/**
 * Checks every include against the introspected schemas and works out each join: from the
 * catalogue's foreign keys on PostgreSQL, from `local_field`/`foreign_field` elsewhere. Every
 * problem found (unknown table, field or relation, an ambiguous one, a cap exceeded) is collected
 * into one 400 naming them all with candidates, so nothing unchecked ever reaches a query.
 * @example await resolveRelations(connector, await connector.describe("orders"), [{ table: "customers", fields: ["name"] }], settings)
 */
export async function resolveRelations(
  connector: SourceConnector,
  schema: TableSchema,
  includes: readonly IncludeSpec[] | undefined,
  settings: RelationSettings,
  options: { watermarkColumn?: string | undefined } = {},
): Promise<Relation[]> {
  if (!includes?.length) return [];
  const problems: RelationProblem[] = [];
  const resolver = new Resolver(connector, settings, problems, options.watermarkColumn);
  const relations = await resolver.level(schema, includes, "", 1);
  const rows = worstCaseRows(relations);
  if (rows > settings.INCLUDE_MAX_RELATED_ROWS) {
    problems.push({
      include: includes.map((include) => include.table).join(", "),
      problem: `up to ${rows} related rows per document, over INCLUDE_MAX_RELATED_ROWS (${settings.INCLUDE_MAX_RELATED_ROWS}); lower the limits`,
    });
  }
  if (problems.length > 0) throw new UnknownRelationsError(connector.name, schema.name, problems);
  return relations;
}

/** The most related rows one document can render: each relation's limit times what its children add. */
export function worstCaseRows(relations: readonly Relation[]): number {
  return relations.reduce(
    (total, relation) => total + (relation.many ? relation.limit : 1) * (1 + worstCaseRows(relation.children)),
    0,
  );
}

/** The selection with the join keys read, and the many-to-one keys (`customer_id`, every column of a composite one) kept as metadata for filters. */
export function withRelationKeys(selection: Selection, relations: readonly Relation[]): Selection {
  if (relations.length === 0) return selection;
  const keys = relations.flatMap((relation) => relation.parentKeys);
  const metadataKeys = relations.filter((relation) => !relation.many).flatMap((relation) => relation.parentKeys);
  return {
    ...selection,
    readFields: [...new Set([...selection.readFields, ...keys])],
    metadataFields: [...new Set([...selection.metadataFields, ...metadataKeys])],
  };
}

/** Every relation in the tree, parents before their children. */
export function flattenRelations(relations: readonly Relation[]): Relation[] {
  return relations.flatMap((relation) => [relation, ...flattenRelations(relation.children)]);
}

class Resolver {
  private tables: Promise<string[]> | undefined;

  constructor(
    private readonly connector: SourceConnector,
    private readonly settings: RelationSettings,
    private readonly problems: RelationProblem[],
    private readonly watermarkColumn: string | undefined,
  ) {}

  async level(
    parent: TableSchema,
    includes: readonly (IncludeSpec | NestedIncludeSpec)[],
    prefix: string,
    depth: number,
  ): Promise<Relation[]> {
    const relations: Relation[] = [];
    const labels = new Set<string>();
    for (const include of includes) {
      const where = `${prefix}${include.table}`;
      if (depth > this.settings.INCLUDE_MAX_DEPTH) {
        this.problem(where, `nested deeper than INCLUDE_MAX_DEPTH (${this.settings.INCLUDE_MAX_DEPTH})`);
        continue;
      }
      const related = await this.describe(where, include.table);
      if (!related) continue;
      const join = await this.join(where, parent, related, include);
      const known = related.columns.map((column) => column.name);
      const unknown = include.fields.filter((field) => !known.includes(field));
      if (unknown.length > 0) this.problem(where, `unknown field(s) ${quoted(unknown)}`, known);
      if (include.order_by && !known.includes(include.order_by)) {
        this.problem(where, `unknown order_by column '${include.order_by}'`, known);
      }
      if (include.watermark_column && !known.includes(include.watermark_column)) {
        this.problem(where, `unknown watermark_column '${include.watermark_column}'`, known);
      }
      if (!join) continue;
      if (!join.many && (include.limit !== undefined || include.order_by || include.order)) {
        this.problem(where, "limit, order_by and order apply to one-to-many relations only; this one is many-to-one");
      }
      const label = include.label ?? defaultLabel(include.table, join);
      if (labels.has(label)) this.problem(where, `label '${label}' is used twice at this level; give each a label`);
      labels.add(label);
      const path = `${prefix}${label}`;
      const nested = "include" in include ? (include.include ?? []) : [];
      const children = nested.length ? await this.level(related, nested, `${path}.`, depth + 1) : [];
      const watermark =
        include.watermark_column ??
        (this.watermarkColumn && known.includes(this.watermarkColumn) ? this.watermarkColumn : undefined);
      const orderBy = include.order_by;
      relations.push({
        path,
        label,
        table: related.name,
        fields: [...include.fields],
        parentKeys: join.parentKeys,
        childKeys: join.childKeys,
        many: join.many,
        limit: join.many ? (include.limit ?? defaultOneToManyLimit) : 1,
        orderBy,
        order: include.order ?? "asc",
        primaryKey: [...related.primaryKey],
        readFields: [
          ...new Set([
            ...include.fields,
            ...join.childKeys,
            ...children.flatMap((child) => child.parentKeys),
            ...(orderBy ? [orderBy] : []),
            ...related.primaryKey,
            ...(watermark ? [watermark] : []),
          ]),
        ],
        watermarkColumn: watermark,
        children,
      });
    }
    return relations;
  }

  private async join(
    where: string,
    parent: TableSchema,
    related: TableSchema,
    include: IncludeSpec | NestedIncludeSpec,
  ): Promise<Join | undefined> {
    const { local_field: local, foreign_field: foreign, via } = include;
    if (local !== undefined || foreign !== undefined) {
      if (via !== undefined) return this.problem(where, "give via or local_field/foreign_field, not both");
      if (local === undefined || foreign === undefined) {
        return this.problem(where, "local_field and foreign_field go together");
      }
      const parentColumns = parent.columns.map((column) => column.name);
      const relatedColumns = related.columns.map((column) => column.name);
      let valid = true;
      if (!parentColumns.includes(local)) {
        valid = false;
        this.problem(where, `unknown local_field '${local}' in '${parent.name}'`, parentColumns);
      }
      if (!relatedColumns.includes(foreign)) {
        valid = false;
        this.problem(where, `unknown foreign_field '${foreign}' in '${related.name}'`, relatedColumns);
      }
      if (!valid) return undefined;
      // Matching the related table's own key means one row per parent; any other field, many.
      const many = !(related.primaryKey.length === 1 && related.primaryKey[0] === foreign);
      return { parentKeys: [local], childKeys: [foreign], many, via: local };
    }
    if (!this.connector.foreignKeys) {
      return this.problem(
        where,
        `${this.connector.kind} has no catalogue of relations: give local_field and foreign_field`,
      );
    }
    const keys = await this.connector.foreignKeys(parent.name);
    const joins = joinsBetween(keys, parent.name, related.name);
    const chosen = via === undefined ? joins : joins.filter((join) => join.via === via);
    if (chosen.length === 1) return chosen[0];
    if (chosen.length === 0 && joins.length > 0) {
      return this.problem(
        where,
        `no foreign key through '${via}' joins '${parent.name}' and '${related.name}'`,
        joins.map((join) => join.via),
      );
    }
    if (chosen.length === 0) {
      const neighbours = [
        ...keys.outgoing.map((key) => `${key.referencedTable} (via ${key.column})`),
        ...keys.incoming.map((key) => `${key.table} (via ${key.column})`),
      ];
      return this.problem(where, `no foreign key joins '${parent.name}' and '${related.name}'`, neighbours);
    }
    return this.problem(
      where,
      `several foreign keys join '${parent.name}' and '${related.name}': name one with via`,
      chosen.map((join) => join.via),
    );
  }

  private async describe(where: string, table: string): Promise<TableSchema | undefined> {
    try {
      return await this.connector.describe(table);
    } catch (error) {
      if (!(error instanceof TableNotFoundError)) throw error;
      this.tables ??= this.connector.listTables().then((tables) => tables.map((entry) => entry.name));
      this.problem(where, `no table or collection '${table}'`, await this.tables);
      return undefined;
    }
  }

  private problem(include: string, problem: string, candidates?: readonly string[]): undefined {
    this.problems.push({ include, problem, ...(candidates ? { candidates: candidates.slice(0, 50) } : {}) });
    return undefined;
  }
}

/** The joins a catalogue allows between two tables: its foreign keys to the other (many-to-one) and the other's to it. */
function joinsBetween(keys: TableForeignKeys, parent: string, related: string): Join[] {
  return [
    ...keys.outgoing
      .filter((key) => key.referencedTable === related)
      .map((key) => ({ parentKeys: key.columns, childKeys: key.referencedColumns, many: false, via: key.column })),
    ...keys.incoming
      .filter((key) => key.table === related && key.table !== parent)
      .map((key) => ({ parentKeys: key.referencedColumns, childKeys: key.columns, many: true, via: key.column })),
  ];
}

/** `customer_id` → `customer` for a many-to-one; the table's name (without a file extension) otherwise. */
function defaultLabel(table: string, join: Join): string {
  const single = join.parentKeys.length === 1 ? (join.parentKeys[0] as string) : "";
  const fromKey = join.many ? "" : single.replace(/(_id|Id|_key)$/, "");
  const base = fromKey && fromKey !== single ? fromKey : table.replace(/\.(csv|jsonl)$/, "");
  const label = base.replace(/[^A-Za-z0-9_]/g, "_").replace(/^(?=[0-9])/, "_");
  return label.slice(0, 64) || "related";
}

const quoted = (names: readonly string[]) => names.map((name) => `'${name}'`).join(", ");
