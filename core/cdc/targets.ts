import { SyncSpecMissingError, stateStore } from "../sync/index.js";
import { resolveTarget, type SyncTarget } from "../sync/target.js";
import type { CdcApplyDependencies } from "./apply.js";

// Resolving a table reads its schema (three catalog queries): per event that would be most of
// the latency. Kept briefly, so a schema change is seen within seconds.
const targetTtlMs = 30_000;

export async function cachedTarget(
  dependencies: CdcApplyDependencies,
  source: string,
  table: string,
): Promise<SyncTarget> {
  const recorded = await stateStore(dependencies).get(source, table);
  if (!recorded) throw new SyncSpecMissingError(source, table);
  const key = JSON.stringify([source, table, recorded.spec]);
  const cached = dependencies.cdc.targets.get(key);
  if (cached && performance.now() - cached.at < targetTtlMs) return cached.target;
  const target = await resolveTarget(dependencies, source, table, recorded.spec);
  dependencies.cdc.targets.set(key, { target, at: performance.now() });
  return target;
}
