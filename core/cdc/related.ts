import type { Relation } from "../relations/index.js";
import { distinctKeyTuples, keyText, keyTuple, type SourceConnector, type SourceRow } from "../sources/index.js";
import {
  addDependentKeys,
  dependentRows,
  joinsOffKey,
  keysUpChain,
  recordedJoinTuple,
  relationChains,
} from "../sync/index.js";
// The page reconciliation sync itself uses (core/sync's index exports only whole-table runs).
import { applyPlan, planPage } from "../sync/reconcile.js";
import { documentsOf } from "../sync/sync.js";
import type { SyncTarget } from "../sync/target.js";
import type { CdcApplyDependencies } from "./apply.js";
import type { RowChange } from "./events.js";
import { type RecordedRows, recordedRows } from "./recorded-joins.js";

export interface DependentsApplied {
  reembedded: number;
  metadata_only: number;
  unchanged: number;
}

/**
 * Changes to a table another one includes → that table's documents that render the changed rows,
 * re-rendered: each changed row's join value is walked up its chain to the including table's keys
 * (`select … from orders where customer_id = any($1)`), those rows are read and reconciled like
 * any change, so only documents whose text changed are embedded again.
 */
export async function applyDependents(
  dependencies: CdcApplyDependencies,
  target: SyncTarget,
  table: string,
  changes: readonly RowChange[],
): Promise<DependentsApplied> {
  const { connector } = target;
  const dependentKeys = new Map<string, unknown[][]>();
  const recorded: RecordedRows[] = [];
  for (const chain of relationChains(target.relations).filter((candidate) => candidate.at(-1)?.table === table)) {
    const relation = chain.at(-1) as Relation;
    const rows = joinsOffKey(relation) ? await recordedRows(dependencies, target, relation, changes) : undefined;
    if (rows) recorded.push(rows);
    const joins = await changedJoinValues(connector, relation, changes, rows);
    const keys = await keysUpChain(connector, chain, joins);
    addDependentKeys(dependentKeys, (chain[0] as Relation).parentKeys, keys);
  }
  const counts: DependentsApplied = { reembedded: 0, metadata_only: 0, unchanged: 0 };
  const chunking = {
    maxTokens: dependencies.settings.CHUNK_MAX_TOKENS,
    overlapTokens: dependencies.settings.CHUNK_OVERLAP_TOKENS,
  };
  let rows: SourceRow[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    const page = await documentsOf(target, rows);
    rows = [];
    const plan = await planPage(dependencies.vectors, target.shape.source, page);
    const applied = await applyPlan(dependencies, target.shape, plan, chunking);
    counts.reembedded += applied.embeddedRows;
    counts.metadata_only += applied.metadataRows;
    counts.unchanged += plan.unchanged;
  };
  const request = { table: target.shape.table, fields: target.readFields, filters: target.selection.filters };
  for await (const row of dependentRows(connector, request, dependentKeys)) {
    rows.push(row);
    if (rows.length >= dependencies.settings.SYNC_PAGE_SIZE) await flush();
  }
  await flush();
  // Recorded once the dependents are re-rendered, so a batch that fails and is retried finds them again.
  for (const rows of recorded) await rows.save();
  return counts;
}

/**
 * The join columns' values (one tuple per row; several columns for a composite foreign key) of the
 * changed rows: from the event's row image, or its key (a many-to-one joins on the related key
 * itself). A delete's image holds only the key unless the table has REPLICA IDENTITY FULL (which
 * enabling CDC sets on the tables of one-to-many includes, see enable.ts); then the recorded map gives
 * the join value, and for an update the value held before too (a line moved to another order leaves
 * the first); after a truncate, every recorded row's. A deleted row found in neither is left to the
 * next sync or audit; rows that still exist are read back by key.
 */
async function changedJoinValues(
  connector: SourceConnector,
  relation: Relation,
  changes: readonly RowChange[],
  recorded: RecordedRows | undefined,
): Promise<unknown[][]> {
  const values: unknown[][] = [];
  const readBack: unknown[][] = [];
  const primaryKey = relation.primaryKey;
  const present = (value: unknown) => value !== undefined && value !== null;
  const recordedJoin = (change: RowChange) => {
    const key = keyTuple(change.key, primaryKey);
    const joinValue = key ? recorded?.before.get(keyText(key)) : undefined;
    return joinValue === undefined ? undefined : recordedJoinTuple(relation, joinValue);
  };
  if (recorded?.truncated) {
    for (const joinValue of new Set(recorded.before.values())) {
      const tuple = recordedJoinTuple(relation, joinValue);
      if (tuple) values.push(tuple);
    }
  }
  for (const change of changes) {
    if (change.op === "t" || change.op === "m") continue;
    const join = relation.childKeys.map((field) => change.image[field] ?? change.key[field]);
    const before = change.op === "u" || change.op === "d" ? recordedJoin(change) : undefined;
    if (before) values.push(before);
    if (join.every(present)) values.push(join);
    else if (change.op !== "d" && primaryKey.length > 0) {
      const key = primaryKey.map((field) => change.key[field]);
      if (key.every(present)) readBack.push(key);
    }
  }
  if (readBack.length > 0) {
    const rows = await connector.related({
      table: relation.table,
      fields: relation.childKeys,
      keyFields: primaryKey,
      keys: readBack,
    });
    values.push(...distinctKeyTuples(rows, relation.childKeys));
  }
  return values;
}
