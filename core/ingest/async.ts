import { randomUUID } from "node:crypto";
import type { Settings } from "../config/index.js";
import type { Embedder } from "../embeddings/index.js";
import { ComponentUnavailableError, InvalidInputError } from "../errors/index.js";
import {
  type BatchStatusEvent,
  batchStatusEventSchema,
  type EmbeddingRequestMessage,
  embeddingRequestSchema,
  type IngestionRequestMessage,
  ingestionRequestSchema,
  type MessagePublisher,
  schemaVersion,
  topics,
  vectorUpdateSchema,
} from "../messaging/index.js";
import { metrics } from "../metrics/index.js";
import { loadRelated, pagesOf, type RelationSettings, resolveRelations, withRelationKeys } from "../relations/index.js";
import { resolveSelection, type SourceAccess } from "../sources/index.js";
import type { BatchStatusStore } from "../status/index.js";
import type { VectorStore } from "../vectors/index.js";
import type { IngestRequest } from "./pipeline.js";
import { type PreparedChunk, prepareRow } from "./prepare.js";

const now = () => new Date().toISOString();

export interface QueueDependencies extends SourceAccess {
  publisher: MessagePublisher | undefined;
  batches: BatchStatusStore;
  settings: SourceAccess["settings"] & RelationSettings;
}

/**
 * Checks the request against the source's schema now (a bad table or field is a 400 here, not a
 * failed batch later), records the batch as queued and puts it on `data-ingestion`.
 * Only configured sources: inline connection params would have to travel on Kafka.
 */
export async function queueIngestion(
  dependencies: QueueDependencies,
  request: IngestRequest,
): Promise<{ batch_id: string; status: "queued" }> {
  if (!request.source) {
    throw new InvalidInputError(
      "async ingestion needs a configured source ('source'); connection_params never go on Kafka",
    );
  }
  if (!dependencies.publisher)
    throw new ComponentUnavailableError("kafka", { message: "kafka is not configured (KAFKA_BROKERS)" });
  const connector = dependencies.sources.get(request.source);
  if (request.db_type && request.db_type !== connector.kind) {
    throw new InvalidInputError(`source '${request.source}' is ${connector.kind}, not ${request.db_type}`);
  }
  const schema = await connector.describe(request.table);
  resolveSelection(connector.name, schema, request);
  await resolveRelations(connector, schema, request.include, dependencies.settings);
  const batchId = randomUUID();
  await dependencies.batches.create(batchId, { source: connector.name, table: request.table });
  const message: IngestionRequestMessage = {
    schema_version: schemaVersion,
    batch_id: batchId,
    source: connector.name,
    table: request.table,
    ...(request.fields?.length ? { fields: [...request.fields] } : {}),
    text_fields: [...request.textFields],
    ...(request.filters?.length ? { filters: [...request.filters] } : {}),
    ...(request.maxRows ? { max_rows: request.maxRows } : {}),
    ...(request.include?.length ? { include: [...request.include] } : {}),
    requested_at: now(),
  };
  await publishOrUnavailable(() =>
    dependencies.publisher?.publish(topics.dataIngestion, connector.name, ingestionRequestSchema, [message]),
  );
  metrics.ingestBatches.inc({ source: connector.name, stage: "queued" });
  return { batch_id: batchId, status: "queued" };
}

export interface WorkerDependencies extends SourceAccess {
  publisher: MessagePublisher;
  embedder: Embedder;
  settings: SourceAccess["settings"] &
    RelationSettings &
    Pick<Settings, "CHUNK_MAX_TOKENS" | "CHUNK_OVERLAP_TOKENS" | "EMBEDDING_GROUP_SIZE">;
}

/**
 * The ingestion worker's effect: streams the source and publishes its chunks to
 * `embedding-requests` in groups, then the total. Run again (a redelivery), it publishes the
 * same ids, which the embedding worker re-upserts and the status counts once.
 */
export async function runIngestionRequest(
  dependencies: WorkerDependencies,
  message: IngestionRequestMessage,
): Promise<void> {
  const { publisher, settings } = dependencies;
  const status = (events: BatchStatusEvent[]) =>
    publisher.publish(topics.batchStatus, message.batch_id, batchStatusEventSchema, events);
  await status([{ schema_version: schemaVersion, batch_id: message.batch_id, type: "started", at: now() }]);
  const connector = dependencies.sources.get(message.source);
  const schema = await connector.describe(message.table);
  const selection = resolveSelection(connector.name, schema, {
    fields: message.fields,
    textFields: message.text_fields,
    filters: message.filters,
  });
  const relations = await resolveRelations(connector, schema, message.include, settings);
  const shape = { source: connector.name, table: message.table, ...withRelationKeys(selection, relations) };
  const chunking = { maxTokens: settings.CHUNK_MAX_TOKENS, overlapTokens: settings.CHUNK_OVERLAP_TOKENS };
  let group: PreparedChunk[] = [];
  let groups = 0;
  let total = 0;
  const flush = async () => {
    if (group.length === 0) return;
    const request: EmbeddingRequestMessage = {
      schema_version: schemaVersion,
      batch_id: message.batch_id,
      source: connector.name,
      table: message.table,
      group: groups++,
      documents: group.map((chunk) => ({ id: chunk.id, text: chunk.document, metadata: chunk.metadata })),
    };
    group = [];
    await publisher.publish(topics.embeddingRequests, message.batch_id, embeddingRequestSchema, [request]);
  };
  const rows = connector.stream({
    table: message.table,
    fields: shape.readFields,
    filters: selection.filters,
    maxRows: message.max_rows,
    batchSize: 1_000,
  });
  for await (const page of pagesOf(rows, 1_000)) {
    await loadRelated(connector, relations, page);
    for (const row of page) {
      const chunks = await prepareRow(row, shape, dependencies.embedder, chunking);
      total += chunks.length;
      group.push(...chunks);
      if (group.length >= settings.EMBEDDING_GROUP_SIZE) await flush();
    }
  }
  await flush();
  await status([{ schema_version: schemaVersion, batch_id: message.batch_id, type: "total", total, at: now() }]);
  metrics.ingestBatches.inc({ source: connector.name, stage: "read" });
  metrics.ingestDocumentsExpected.inc({ source: connector.name }, total);
}

/**
 * The embedding worker's effect: embeds a group, upserts it (deterministic ids, so a
 * redelivered group replaces the same vectors), then reports the ids on `vector-updates`
 * and as processed on `batch-status` — only after the write is durable.
 */
export async function runEmbeddingRequest(
  dependencies: { publisher: MessagePublisher; embedder: Embedder; vectors: VectorStore },
  message: EmbeddingRequestMessage,
): Promise<void> {
  const embeddings = await dependencies.embedder.embed(message.documents.map((document) => document.text));
  await dependencies.vectors.upsert(
    message.source,
    message.documents.map((document, index) => ({
      id: document.id,
      document: document.text,
      metadata: document.metadata,
      embedding: embeddings[index] ?? [],
    })),
  );
  const ids = message.documents.map((document) => document.id);
  await dependencies.publisher.publish(topics.vectorUpdates, message.batch_id, vectorUpdateSchema, [
    { schema_version: schemaVersion, batch_id: message.batch_id, source: message.source, op: "upsert", ids },
  ]);
  await dependencies.publisher.publish(topics.batchStatus, message.batch_id, batchStatusEventSchema, [
    { schema_version: schemaVersion, batch_id: message.batch_id, type: "processed", ids, at: now() },
  ]);
  metrics.ingestDocuments.inc({ source: message.source, mode: "async", outcome: "processed" }, ids.length);
}

/** Counts a dead-lettered ingestion message in the metrics: its documents failed, or its whole batch did. */
export function countIngestFailure(message: { source?: string; documents?: readonly unknown[] } | undefined): void {
  if (!message?.source) return;
  if (message.documents) {
    metrics.ingestDocuments.inc({ source: message.source, mode: "async", outcome: "failed" }, message.documents.length);
  } else {
    metrics.ingestBatches.inc({ source: message.source, stage: "failed" });
  }
}

/** Records a dead-lettered message on its batch: its documents failed, or the whole batch did. */
export function failureEvents(
  message: { batch_id: string; documents?: { id: string }[] } | undefined,
  error: string,
): BatchStatusEvent[] {
  if (!message) return [];
  if (message.documents) {
    return [
      {
        schema_version: schemaVersion,
        batch_id: message.batch_id,
        type: "failed",
        ids: message.documents.map((document) => document.id),
        error,
        at: now(),
      },
    ];
  }
  return [{ schema_version: schemaVersion, batch_id: message.batch_id, type: "error", error, at: now() }];
}

async function publishOrUnavailable(send: () => Promise<void> | undefined): Promise<void> {
  try {
    await send();
  } catch (error) {
    throw new ComponentUnavailableError("kafka", { cause: error });
  }
}
