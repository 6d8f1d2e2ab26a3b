/**
 * A `where` that matches most of a big collection is Chroma's slowest query: it first lists every
 * matching id from its metadata tables, then searches the index with that list (3.8 s at a million
 * vectors with a `table` filter that every vector passes, against 13 ms with no `where`). Asking
 * without the `where` for a few more neighbours and filtering them here gives the same answer
 * whenever enough of them pass, so only filters that really narrow the collection pay for Chroma's.
 */

/** A Chroma `where` as `splitFilters` builds it: equality, `$in`, and `$and` of those. */
export type SimpleWhere = Record<string, unknown>;

/** Whether metadata passes `where` the way Chroma would judge it. Unknown operators never pass. */
export function matchesWhere(metadata: Record<string, unknown>, where: SimpleWhere): boolean {
  return Object.entries(where).every(([key, condition]) => {
    if (key === "$and") return (condition as SimpleWhere[]).every((clause) => matchesWhere(metadata, clause));
    if (key.startsWith("$") || typeof condition !== "object" || condition === null) return false;
    const value = metadata[key];
    const { $eq, $in, ...others } = condition as { $eq?: unknown; $in?: unknown[] };
    if (Object.keys(others).length > 0) return false;
    if ($eq !== undefined) return value === $eq;
    if ($in !== undefined) return $in.includes(value);
    return false;
  });
}

/** How many neighbours a probe asks for, for a query of `k`. */
export const probeSize = (k: number) => k * 2;

/**
 * Remembers the (collection, where) pairs whose probe fell short, so a narrowing filter goes
 * straight to Chroma's `where` for a while instead of paying for a probe that will not succeed.
 * Bounded: the oldest entry leaves when it is full.
 */
export class ProbeMemory {
  private readonly shortUntil = new Map<string, number>();

  constructor(
    private readonly forgetAfterMs = 10 * 60_000,
    private readonly capacity = 1_000,
  ) {}

  worthTrying(collection: string, where: SimpleWhere, now = Date.now()): boolean {
    const key = this.key(collection, where);
    const until = this.shortUntil.get(key);
    if (until === undefined) return true;
    if (until > now) return false;
    this.shortUntil.delete(key);
    return true;
  }

  fellShort(collection: string, where: SimpleWhere, now = Date.now()): void {
    const key = this.key(collection, where);
    this.shortUntil.delete(key);
    if (this.shortUntil.size >= this.capacity) {
      const oldest = this.shortUntil.keys().next().value;
      if (oldest !== undefined) this.shortUntil.delete(oldest);
    }
    this.shortUntil.set(key, now + this.forgetAfterMs);
  }

  private key(collection: string, where: SimpleWhere): string {
    return `${collection}\u0000${JSON.stringify(where)}`;
  }
}
