import { type Document, type Filter, MongoClient, MongoServerError } from "mongodb";
import type { MongoSourceConfig } from "../config/index.js";
import { SourceAuthenticationError, SourceUnavailableError, TableNotFoundError } from "./errors.js";
import type { RowFilter } from "./filters.js";
import { inferFields } from "./infer-fields.js";
import { exactKeyMatches, keyColumnValues } from "./key-tuples.js";
import { limitPerKey } from "./related-rows.js";
import type { RelatedRequest, SourceConnector, SourceRow, StreamRequest, TableSchema, TableSummary } from "./types.js";

/**
 * MongoDB (or a wire-compatible server such as FerretDB) through the official driver.
 * Streams with one unsorted find, a projection and a cursor batch size: FerretDB pushes
 * down only plain limits and `_id` equality, so range paging would scan repeatedly.
 */
export class MongoConnector implements SourceConnector {
  readonly kind = "mongodb" as const;
  readonly name: string;
  private readonly client: MongoClient;
  private readonly databaseName: string;
  private readonly sampleSize: number;
  private connected: Promise<MongoClient> | undefined;

  constructor(config: MongoSourceConfig, options: { sampleSize: number }) {
    this.name = config.name;
    this.databaseName = config.database;
    this.sampleSize = options.sampleSize;
    this.client = new MongoClient(config.url, {
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 5_000,
      appName: "chat-with-your-data",
    });
  }

  async listTables(): Promise<TableSummary[]> {
    const database = await this.database();
    const collections = await this.run(() => database.listCollections({}, { nameOnly: true }).toArray());
    return collections
      .map((collection) => ({ name: collection.name }))
      .filter((collection) => !collection.name.startsWith("system."))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async describe(table: string): Promise<TableSchema> {
    await this.assertExists(table);
    const collection = (await this.database()).collection(table);
    // No $sample on FerretDB: the first documents are the sample.
    const sample = await this.run(() =>
      collection.find({}, { limit: this.sampleSize, batchSize: this.sampleSize }).toArray(),
    );
    return {
      name: table,
      columns: inferFields(sample),
      primaryKey: ["_id"],
      rowEstimate: await this.rowEstimate(table),
    };
  }

  /**
   * The collection's document count from its storage statistics (`$collStats`), summed over shards.
   * Not `estimatedDocumentCount()`: that is the `count` command, which FerretDB 1.x answers by reading and
   * decoding every document (7.5 s of its CPU for 200,000 documents here, as long as a query over them);
   * `$collStats` reads SQLite's page statistics (0.1 s). A server without `$collStats` (a view) gets `count`.
   */
  private async rowEstimate(table: string): Promise<number> {
    const collection = (await this.database()).collection(table);
    try {
      const stats = await collection.aggregate<{ count?: unknown }>([{ $collStats: { count: {} } }]).toArray();
      return stats.reduce((total, shard) => total + (typeof shard.count === "number" ? shard.count : 0), 0);
    } catch {
      return this.run(() => collection.estimatedDocumentCount());
    }
  }

  async count(table: string, filters: readonly RowFilter[] = []): Promise<number> {
    await this.assertExists(table);
    const collection = (await this.database()).collection(table);
    return this.run(() => collection.countDocuments(mongoFilter(filters)));
  }

  async *stream(request: StreamRequest): AsyncIterable<SourceRow> {
    await this.assertExists(request.table);
    const collection = (await this.database()).collection(request.table);
    const projection = Object.fromEntries(request.fields.map((field) => [field, 1]));
    const cursor = collection.find(mongoFilter(request.filters ?? []), {
      projection,
      batchSize: request.batchSize ?? 500,
      ...(request.maxRows === undefined ? {} : { limit: request.maxRows }),
    });
    try {
      for await (const document of cursor) {
        if (request.signal?.aborted) break;
        yield document;
      }
    } catch (error) {
      throw this.translate(error);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  /** One `$in` find per page of parents; per-key limits are applied here (FerretDB lacks `$setWindowFields`). */
  async related(request: RelatedRequest): Promise<SourceRow[]> {
    if (request.keys.length === 0) return [];
    await this.assertExists(request.table);
    const collection = (await this.database()).collection(request.table);
    const fields = [...new Set([...request.fields, ...request.keyFields, ...(request.perKey?.tieBreak ?? [])])];
    const values = keyColumnValues(request.keys, request.keyFields.length);
    const conditions = request.keyFields.map((field, index) => ({ [field]: { $in: values[index] ?? [] } }));
    const filter = conditions.length === 1 ? (conditions[0] as Document) : { $and: conditions };
    const rows = await this.run(() =>
      collection.find(filter, { projection: Object.fromEntries(fields.map((field) => [field, 1])) }).toArray(),
    );
    return limitPerKey(exactKeyMatches(rows, request), request);
  }

  /** An aggregation pipeline built by core from a fixed set of stages; `maxTimeMS` bounds it on the server. */
  async aggregate(table: string, pipeline: Document[], options: { maxTimeMS: number }): Promise<Document[]> {
    await this.assertExists(table);
    const collection = (await this.database()).collection(table);
    return this.run(() => collection.aggregate(pipeline, { maxTimeMS: options.maxTimeMS }).toArray());
  }

  /** Documents matching a query built by core, with a projection, an optional sort and limit, one batch at a time. */
  async *find(
    table: string,
    query: {
      filter: Filter<Document>;
      projection: Document;
      sort?: Document;
      limit?: number;
      maxTimeMS: number;
      signal?: AbortSignal;
    },
  ): AsyncIterable<Document> {
    await this.assertExists(table);
    const collection = (await this.database()).collection(table);
    const cursor = collection.find(query.filter, {
      projection: query.projection,
      batchSize: 1_000,
      maxTimeMS: query.maxTimeMS,
      ...(query.sort ? { sort: query.sort } : {}),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
    try {
      for await (const document of cursor) {
        if (query.signal?.aborted) break;
        yield document;
      }
    } catch (error) {
      throw this.translate(error);
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.connected = undefined;
    // FerretDB answers endSessions with an error the driver reports on close; nothing is lost.
    await this.client.close().catch(() => undefined);
  }

  private async database() {
    if (!this.connected) {
      this.connected = this.client.connect().catch((error: unknown) => {
        this.connected = undefined;
        throw this.translate(error);
      });
    }
    return (await this.connected).db(this.databaseName);
  }

  private async assertExists(table: string): Promise<void> {
    const database = await this.database();
    const found = await this.run(() => database.listCollections({ name: table }, { nameOnly: true }).toArray());
    if (found.length === 0) throw new TableNotFoundError(this.name, table);
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    if (error instanceof MongoServerError && (error.code === 18 || error.codeName === "AuthenticationFailed")) {
      return new SourceAuthenticationError(this.name, error);
    }
    if (error instanceof Error && /Mongo(ServerSelection|Network|Topology)/.test(error.name)) {
      return new SourceUnavailableError(this.name, error);
    }
    return error;
  }
}

const mongoOperators = { ne: "$ne", gt: "$gt", gte: "$gte", lt: "$lt", lte: "$lte", in: "$in" } as const;

/**
 * Structured filters as a MongoDB query. Operators come from a fixed list and values are
 * scalars (the filter schema), so `$where`, `$function` or `$expr` can never be expressed.
 */
export function mongoFilter(filters: readonly RowFilter[]): Filter<Document> {
  const query: Record<string, unknown> = {};
  const clauses = filters.map((filter): Record<string, unknown> => {
    if (filter.column.startsWith("$")) throw new Error("operator names are not columns");
    if (filter.op === "is_null") return { [filter.column]: null };
    if (filter.op === "not_null") return { [filter.column]: { $ne: null } };
    const value = filter.as === "date" && typeof filter.value === "string" ? new Date(filter.value) : filter.value;
    if (filter.op === "eq") return { [filter.column]: { $eq: value } };
    return { [filter.column]: { [mongoOperators[filter.op]]: value } };
  });
  if (clauses.length === 1) Object.assign(query, clauses[0]);
  else if (clauses.length > 1) query.$and = clauses;
  return query;
}
