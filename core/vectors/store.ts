import type { ChromaClient, Collection, Metadata } from "chromadb";
import { metrics } from "../metrics/index.js";
import { EmbeddingModelMismatchError, VectorStoreUnavailableError } from "./errors.js";
import { matchesWhere, ProbeMemory, probeSize } from "./filter-probe.js";
import type { SmallCollections } from "./small-collections.js";
import { readStoredText, withStoredText } from "./stored-text.js";
import { TableCursor } from "./table-cursor.js";
import { type MetadataFilters, splitFilters } from "./where.js";

export interface VectorRecord {
  id: string;
  embedding: Float32Array | number[];
  document: string;
  metadata: Record<string, string | number | boolean>;
}

export interface VectorMatch {
  id: string;
  content: string;
  metadata: Record<string, string | number | boolean>;
  /** Cosine similarity in [-1, 1] (Chroma's cosine distance is 1 − similarity). */
  relevance_score: number;
}

export interface StoredMetadata {
  id: string;
  metadata: Record<string, string | number | boolean>;
}

export interface EmbeddingModelInfo {
  model: string;
  dimension: number;
}

const collectionPrefix = "cwd";

/**
 * A second index kept in step with the vectors (the keyword index): every write here is repeated
 * there after Chroma took it, and a failure there fails the write, so the two never differ silently.
 */
export interface StoreMirror {
  upsert(source: string, records: readonly Pick<VectorRecord, "id" | "document" | "metadata">[]): Promise<void>;
  updateMetadata(source: string, records: readonly StoredMetadata[]): Promise<void>;
  deleteIds(source: string, ids: readonly string[]): Promise<void>;
  deleteRows(source: string, table: string, rowKeys: readonly string[]): Promise<void>;
  deleteTable(source: string, table: string): Promise<void>;
  deleteSource(source: string): Promise<void>;
}

/**
 * Chroma, one collection per embedding model and source. A source filter then picks collections
 * instead of scanning metadata (a `where` on this Chroma is about 14 times slower than a plain
 * kNN); a query over every source fans out to each collection and merges by score, answering
 * for small collections from in-process copies when given them (small-collections.ts). Other
 * filters are tried first as a probe without the `where` (see filter-probe.ts).
 */
export class VectorStore {
  private readonly client: ChromaClient;
  private readonly embedding: EmbeddingModelInfo;
  private readonly collections = new Map<string, Promise<Collection>>();
  private readonly mirror: StoreMirror | undefined;
  private readonly probes = new ProbeMemory();
  private readonly small: SmallCollections | undefined;

  constructor(
    client: ChromaClient,
    embedding: EmbeddingModelInfo,
    options: { mirror?: StoreMirror; small?: SmallCollections } = {},
  ) {
    this.client = client;
    this.embedding = embedding;
    this.mirror = options.mirror;
    this.small = options.small;
  }

  /** The collection name for a source: model and source both in it, within Chroma's naming rules. */
  collectionName(source: string): string {
    const model =
      this.embedding.model
        .split("/")
        .at(-1)
        ?.toLowerCase()
        .replace(/[^a-z0-9]+/g, "-") ?? "model";
    return `${collectionPrefix}_${model}_${source}`;
  }

  async upsert(source: string, records: readonly VectorRecord[]): Promise<void> {
    if (records.length === 0) return;
    const timed = metrics.vectorStoreSeconds.startTimer({ operation: "upsert" });
    const write = async () => {
      const collection = await this.collection(source, true);
      await this.call(() =>
        collection.upsert({
          ids: records.map((record) => record.id),
          embeddings: records.map((record) => Array.from(record.embedding)),
          metadatas: records.map((record) => withStoredText(record.metadata, record.document)),
        }),
      );
    };
    await this.changing(
      source,
      write().catch(async (error: unknown) => {
        // Another instance deleted the collection since this one cached it: create it afresh and write
        // again, instead of failing every document until the process restarts.
        if ((error as Error).name !== "ChromaNotFoundError") throw error;
        this.collections.delete(this.collectionName(source));
        await write();
      }),
    );
    timed();
    await this.mirror?.upsert(source, records);
  }

  async query(
    embedding: Float32Array | number[],
    options: { k: number; filters?: MetadataFilters },
  ): Promise<VectorMatch[]> {
    const timed = metrics.vectorStoreSeconds.startTimer({ operation: "query" });
    const { sources, where } = splitFilters(options.filters);
    const names = sources ? sources.map((source) => this.collectionName(source)) : await this.sourceCollectionNames();
    const vector = Array.from(embedding);
    // Copies pay off only where a search costs a request per collection; one collection is one either way.
    const small = this.small?.enabled && names.length > 1 ? this.small : undefined;
    const versions = small ? await small.versions.read(names) : undefined;
    const perCollection = await Promise.all(
      names.map(async (name) => {
        if (small && versions) {
          const collection = await this.existing(name);
          if (!collection) return [];
          const held = small.query(collection, versions.get(name) ?? "0", vector, options.k, where);
          if (held) return held;
        }
        const ask = (collection: Collection, filtered: boolean, n: number) =>
          this.call(() =>
            collection.query({
              queryEmbeddings: [vector],
              nResults: n,
              ...(filtered && where ? { where: where as never } : {}),
            }),
          );
        const matches = async (filtered: boolean, n: number): Promise<VectorMatch[]> => {
          const collection = await this.existing(name);
          if (!collection) return [];
          const result = await ask(collection, filtered, n).catch(async (error: unknown) => {
            // Another instance deleted the collection (or deleted and created it again) since this one
            // cached it, or between listing and asking: look it up afresh instead of failing every query.
            if ((error as Error).name !== "ChromaNotFoundError") throw error;
            this.collections.delete(name);
            const fresh = await this.existing(name);
            return fresh ? ask(fresh, filtered, n) : undefined;
          });
          if (!result) return [];
          return (result.ids[0] ?? []).map((id, index) => ({
            id,
            ...readStoredText(result.documents[0]?.[index], result.metadatas[0]?.[index]),
            relevance_score: 1 - (result.distances[0]?.[index] ?? 1),
          }));
        };
        if (!where || !this.probes.worthTrying(name, where)) return matches(Boolean(where), options.k);
        const size = probeSize(options.k);
        const probe = await matches(false, size);
        const kept = probe.filter((match) => matchesWhere(match.metadata, where));
        // Enough nearest neighbours passed, or the probe saw the whole collection: exactly what the where would give.
        if (kept.length >= options.k || probe.length < size) return kept.slice(0, options.k);
        this.probes.fellShort(name, where);
        return matches(true, options.k);
      }),
    );
    timed();
    return perCollection
      .flat()
      .sort((a, b) => b.relevance_score - a.relevance_score)
      .slice(0, options.k);
  }

  /** Records stored for a source (all sources when omitted). */
  async count(source?: string): Promise<number> {
    const names = source ? [this.collectionName(source)] : await this.sourceCollectionNames();
    const counts = await Promise.all(
      names.map(async (name) => {
        const collection = await this.existing(name);
        return collection ? this.call(() => collection.count()) : 0;
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * Vectors stored for one table of a source (a long row is several): the collection's count when it
   * holds only that table, else counted a page of ids at a time.
   */
  async countTable(source: string, table: string): Promise<number> {
    const collection = await this.existing(this.collectionName(source));
    if (!collection) return 0;
    if (!(await this.holdsOtherThan(collection, table))) return this.call(() => collection.count());
    const pageSize = 5_000;
    let total = 0;
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.call(() =>
        collection.get({ where: { table: { $eq: table } }, limit: pageSize, offset, include: [] }),
      );
      total += page.ids.length;
      if (page.ids.length < pageSize) return total;
    }
  }

  /** Ids stored for a source, optionally only some of them; for tests and audits. */
  async get(
    source: string,
    options: { ids?: string[]; where?: Record<string, unknown>; limit?: number; offset?: number } = {},
  ) {
    const collection = await this.existing(this.collectionName(source));
    if (!collection) return [];
    const result = await this.call(() =>
      collection.get({
        ...(options.ids ? { ids: options.ids } : {}),
        ...(options.where ? { where: options.where as never } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
        ...(options.offset ? { offset: options.offset } : {}),
        include: ["documents", "metadatas"],
      }),
    );
    return result.ids.map((id, index) => ({ id, ...readStoredText(result.documents[index], result.metadatas[index]) }));
  }

  async deleteTable(source: string, table: string): Promise<void> {
    const collection = await this.existing(this.collectionName(source));
    if (collection) {
      await this.changing(
        source,
        this.call(() => collection.delete({ where: { table: { $eq: table } } })),
      );
    }
    await this.mirror?.deleteTable(source, table);
  }

  async deleteIds(source: string, ids: readonly string[]): Promise<void> {
    const collection = await this.existing(this.collectionName(source));
    if (collection && ids.length)
      await this.changing(
        source,
        this.call(() => collection.delete({ ids: [...ids] })),
      );
    await this.mirror?.deleteIds(source, ids);
  }

  /** Metadata of those of `ids` that are stored, without documents or vectors, so sync pages stay small. */
  async getMetadata(source: string, ids: readonly string[]): Promise<StoredMetadata[]> {
    const collection = await this.existing(this.collectionName(source));
    // An empty id list would mean "everything" to Chroma.
    if (!collection || ids.length === 0) return [];
    const result = await this.call(() => collection.get({ ids: [...ids], include: ["metadatas"] }));
    return result.ids.map((id, index) => ({ id, metadata: readStoredText(null, result.metadatas[index]).metadata }));
  }

  /** Stored records with their vectors: rewriting metadata without re-embedding needs them. */
  async getRecords(source: string, ids: readonly string[]): Promise<VectorRecord[]> {
    const collection = await this.existing(this.collectionName(source));
    if (!collection || ids.length === 0) return [];
    const result = await this.call(() =>
      collection.get({ ids: [...ids], include: ["documents", "metadatas", "embeddings"] }),
    );
    return result.ids.map((id, index) => {
      const { content, metadata } = readStoredText(result.documents[index], result.metadatas[index]);
      return { id, embedding: result.embeddings[index] ?? [], document: content, metadata };
    });
  }

  /**
   * One page of a table's records (ids and metadata) in the store's insertion order. The order is
   * stable while nothing before `offset` is deleted, so a caller deleting from a page moves its
   * next offset back by as many.
   */
  async pageTable(source: string, table: string, page: { limit: number; offset: number }): Promise<StoredMetadata[]> {
    return this.pageRecords(source, { ...page, table });
  }

  /** A walk over one table's records (ids and metadata), a page at a time; see TableCursor. */
  tableCursor(source: string, table: string, pageSize: number): TableCursor {
    return new TableCursor(
      {
        page: (page) => this.pageRecords(source, page),
        holdsOtherThan: async (only) => {
          const found = await this.existing(this.collectionName(source));
          return found ? this.holdsOtherThan(found, only) : false;
        },
      },
      table,
      pageSize,
    );
  }

  /** A page of a source's records in insertion order, only those of `table` when it is given. */
  private async pageRecords(
    source: string,
    page: { limit: number; offset: number; table?: string | undefined },
  ): Promise<StoredMetadata[]> {
    const collection = await this.existing(this.collectionName(source));
    if (!collection) return [];
    const result = await this.call(() =>
      collection.get({
        ...(page.table === undefined ? {} : { where: { table: { $eq: page.table } } }),
        limit: page.limit,
        offset: page.offset,
        include: ["metadatas"],
      }),
    );
    return result.ids.map((id, index) => ({ id, metadata: readStoredText(null, result.metadatas[index]).metadata }));
  }

  /**
   * Sets metadata of stored ids, vectors and documents untouched. Chroma merges: a key left out
   * keeps its old value (null does not remove it either), so removing a key needs delete and re-add.
   */
  async updateMetadata(source: string, records: readonly StoredMetadata[]): Promise<void> {
    const collection = await this.existing(this.collectionName(source));
    if (!collection || records.length === 0) return;
    await this.changing(
      source,
      this.call(() =>
        collection.update({
          ids: records.map((record) => record.id),
          metadatas: records.map((record) => record.metadata),
        }),
      ),
    );
    await this.mirror?.updateMetadata(source, records);
  }

  /** Every vector of the given rows of a table, whatever their chunk ids, found by `row_key`. */
  async deleteRows(source: string, table: string, rowKeys: readonly string[]): Promise<void> {
    if (rowKeys.length === 0) return;
    const collection = await this.existing(this.collectionName(source));
    if (collection) {
      await this.changing(
        source,
        this.call(() =>
          collection.delete({ where: { $and: [{ table: { $eq: table } }, { row_key: { $in: [...rowKeys] } }] } }),
        ),
      );
    }
    await this.mirror?.deleteRows(source, table, rowKeys);
  }

  async deleteSource(source: string): Promise<void> {
    const name = this.collectionName(source);
    this.collections.delete(name);
    await this.changing(
      source,
      this.call(() => this.client.deleteCollection({ name })).catch((error: unknown) => {
        if (error instanceof VectorStoreUnavailableError) throw error;
      }),
    );
    await this.mirror?.deleteSource(source);
  }

  /**
   * Waits for a write to a source's collection, then tells copies of it elsewhere that it changed,
   * also when the write failed: a failed request may still have changed some records.
   */
  private async changing(source: string, write: Promise<unknown>): Promise<void> {
    try {
      await write;
    } finally {
      await this.small?.versions.bump(this.collectionName(source));
    }
  }

  /** One question over the collection's metadata, instead of one per page of a filtered walk. */
  private async holdsOtherThan(collection: Collection, table: string): Promise<boolean> {
    const other = await this.call(() => collection.get({ where: { table: { $ne: table } }, limit: 1, include: [] }));
    return other.ids.length > 0;
  }

  private async sourceCollectionNames(): Promise<string[]> {
    const prefix = this.collectionName("");
    const names: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await this.call(() => this.client.listCollections({ limit: 100, offset }));
      names.push(...page.map((collection) => collection.name).filter((name) => name.startsWith(prefix)));
      if (page.length < 100) return names;
    }
  }

  private async existing(name: string): Promise<Collection | undefined> {
    const cached = this.collections.get(name);
    if (cached) return cached;
    try {
      const collection = await this.call(() => this.client.getCollection({ name, embeddingFunction: null as never }));
      this.checkModel(collection);
      this.collections.set(name, Promise.resolve(collection));
      return collection;
    } catch (error) {
      if (error instanceof VectorStoreUnavailableError || error instanceof EmbeddingModelMismatchError) throw error;
      return undefined;
    }
  }

  private async collection(source: string, create: boolean): Promise<Collection> {
    const name = this.collectionName(source);
    const found = await this.existing(name);
    if (found || !create) return found as Collection;
    const creating = this.call(() =>
      this.client.getOrCreateCollection({
        name,
        embeddingFunction: null,
        configuration: { hnsw: { space: "cosine" } },
        metadata: {
          embedding_model: this.embedding.model,
          embedding_dimension: this.embedding.dimension,
          source,
        } satisfies Metadata,
      }),
    ).then((collection) => {
      this.checkModel(collection);
      return collection;
    });
    this.collections.set(name, creating);
    creating.catch(() => this.collections.delete(name));
    return creating;
  }

  private checkModel(collection: Collection): void {
    const stored = `${collection.metadata?.embedding_model ?? "unknown"} (${collection.metadata?.embedding_dimension ?? "?"} dimensions)`;
    const current = `${this.embedding.model} (${this.embedding.dimension} dimensions)`;
    if (stored !== current) throw new EmbeddingModelMismatchError(collection.name, stored, current);
  }

  /** Chroma's connection failures as the typed 503 error; its other errors (bad input) pass through. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const name = (error as Error).name ?? "";
      const message = String((error as Error).message ?? "");
      if (name === "ChromaConnectionError" || /fetch failed|ECONNREFUSED|Failed to connect/i.test(message)) {
        metrics.componentErrors.inc({ component: "chroma", kind: "unavailable" });
        throw new VectorStoreUnavailableError(error);
      }
      // A missing collection is an answer (nothing stored yet), not a failure.
      if (name !== "ChromaNotFoundError") metrics.componentErrors.inc({ component: "chroma", kind: "request" });
      throw error;
    }
  }
}
