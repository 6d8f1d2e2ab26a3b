import type { Collection } from "chromadb";
import type { CollectionVersions } from "./collection-versions.js";
import { matchesWhere, type SimpleWhere } from "./filter-probe.js";
import { readStoredText } from "./stored-text.js";

/** A match as the store returns it; declared here too so this file does not import the store. */
export interface MemoryMatch {
  id: string;
  content: string;
  metadata: Record<string, string | number | boolean>;
  relevance_score: number;
}

interface Copy {
  collectionId: string;
  version: string;
  loadedAt: number;
  usedAt: number;
  ids: string[];
  documents: string[];
  metadatas: MemoryMatch["metadata"][];
  /** Unit vectors, one after another. */
  vectors: Float32Array;
  dimension: number;
}

export interface SmallCollectionOptions {
  /** Collections of at most this many records are held; 0 holds none. */
  maxRecords: number;
  maxCollections?: number;
  /** A copy older than this is loaded again even if no version change was seen (a missed bump). */
  maxAgeMs?: number;
  /** How long a collection found too big is not looked at again. */
  largeForMs?: number;
  /** Loads at once, so a search over hundreds of sources does not flood Chroma with them. */
  maxLoading?: number;
}

/**
 * In-process copies of small collections, for a search over many sources: Chroma costs a fixed
 * 2–3 ms a request whatever the collection's size, so ten sources of a few hundred records each cost
 * more than the big one beside them. A copy is used only while its collection's version
 * (collection-versions.ts) is the one it was loaded at; otherwise Chroma is asked, and the copy is
 * loaded again in the background.
 */
export class SmallCollections {
  private readonly copies = new Map<string, Copy>();
  private readonly largeUntil = new Map<string, number>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly maxRecords: number;
  private readonly maxCollections: number;
  private readonly maxAgeMs: number;
  private readonly largeForMs: number;
  private readonly maxLoading: number;

  constructor(
    readonly versions: CollectionVersions,
    options: SmallCollectionOptions,
  ) {
    this.maxRecords = options.maxRecords;
    this.maxCollections = options.maxCollections ?? 32;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.largeForMs = options.largeForMs ?? 5 * 60_000;
    this.maxLoading = options.maxLoading ?? 2;
  }

  get enabled(): boolean {
    return this.maxRecords > 0;
  }

  /**
   * The nearest `n` records of the copy of `collection`, or undefined when there is no copy at
   * `version` (then one is loaded in the background, if the collection is small).
   */
  query(
    collection: Collection,
    version: string,
    vector: readonly number[],
    n: number,
    where: SimpleWhere | undefined,
    now = Date.now(),
  ): MemoryMatch[] | undefined {
    const copy = this.copies.get(collection.name);
    if (
      copy &&
      copy.collectionId === collection.id &&
      copy.version === version &&
      now - copy.loadedAt < this.maxAgeMs &&
      (copy.ids.length === 0 || copy.dimension === vector.length)
    ) {
      copy.usedAt = now;
      return nearest(copy, vector, n, where);
    }
    this.load(collection, version, now);
    return undefined;
  }

  /** Resolves when every load started so far has ended. */
  async settled(): Promise<void> {
    while (this.loading.size > 0) await Promise.all(this.loading.values());
  }

  /** Names of the collections held. */
  held(): string[] {
    return [...this.copies.keys()];
  }

  /**
   * Whether a copy of `name` may be held: it is already, or there is room, or a copy unused for
   * longer than the age limit gives way. Copies in use are never pushed out, so a search over more
   * small sources than fit keeps the ones it holds instead of loading them in turn.
   */
  private roomFor(name: string, now: number): boolean {
    if (this.copies.has(name) || this.copies.size < this.maxCollections) return true;
    for (const [held, copy] of this.copies) {
      if (now - copy.usedAt >= this.maxAgeMs) {
        this.copies.delete(held);
        return true;
      }
    }
    return false;
  }

  private load(collection: Collection, version: string, now: number): void {
    const name = collection.name;
    if (this.loading.has(name) || this.loading.size >= this.maxLoading) return;
    if ((this.largeUntil.get(name) ?? 0) > now || !this.roomFor(name, now)) return;
    const loading = this.read(collection, version, now)
      .catch(() => this.copies.delete(name))
      .then(() => undefined)
      .finally(() => this.loading.delete(name));
    this.loading.set(name, loading);
  }

  /** `version` was read before this load began, so a write meanwhile leaves the copy already stale. */
  private async read(collection: Collection, version: string, now: number): Promise<void> {
    const name = collection.name;
    const tooBig = () => {
      this.copies.delete(name);
      this.largeUntil.set(name, now + this.largeForMs);
    };
    if ((await collection.count()) > this.maxRecords) return tooBig();
    const result = await collection.get({
      limit: this.maxRecords + 1,
      include: ["embeddings", "documents", "metadatas"] as never,
    });
    if (result.ids.length > this.maxRecords) return tooBig();
    const dimension = result.embeddings[0]?.length ?? 0;
    const vectors = new Float32Array(result.ids.length * dimension);
    result.embeddings.forEach((embedding, row) => {
      const norm = Math.hypot(...embedding) || 1;
      for (let index = 0; index < dimension; index += 1) {
        vectors[row * dimension + index] = (embedding[index] ?? 0) / norm;
      }
    });
    if (!this.roomFor(name, now)) return;
    this.copies.set(name, {
      collectionId: collection.id,
      version,
      loadedAt: now,
      usedAt: now,
      ids: result.ids,
      ...stored(result.documents, result.metadatas),
      vectors,
      dimension,
    });
  }
}

/** Texts and metadata of a copy's records, in their order. */
function stored(
  documents: readonly (string | null)[],
  metadatas: readonly (Record<string, unknown> | null)[],
): Pick<Copy, "documents" | "metadatas"> {
  const records = metadatas.map((metadata, row) => readStoredText(documents[row], metadata));
  return { documents: records.map((record) => record.content), metadatas: records.map((record) => record.metadata) };
}

/** Exact cosine neighbours, as Chroma's cosine space scores them (1 − distance). */
function nearest(copy: Copy, vector: readonly number[], n: number, where: SimpleWhere | undefined): MemoryMatch[] {
  const norm = Math.hypot(...vector) || 1;
  const scored: { row: number; score: number }[] = [];
  for (let row = 0; row < copy.ids.length; row += 1) {
    if (where && !matchesWhere(copy.metadatas[row] ?? {}, where)) continue;
    let dot = 0;
    const offset = row * copy.dimension;
    for (let index = 0; index < copy.dimension; index += 1) {
      dot += (copy.vectors[offset + index] ?? 0) * (vector[index] ?? 0);
    }
    scored.push({ row, score: dot / norm });
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, n).map(({ row, score }) => ({
    id: copy.ids[row] ?? "",
    content: copy.documents[row] ?? "",
    metadata: { ...copy.metadatas[row] },
    relevance_score: score,
  }));
}
