import { z } from "zod";

const sourceBlockSchema = z.looseObject({
  name: z.string(),
  schema: z.string(),
  table: z.string(),
  lsn: z.number().nullish(),
  ts_ms: z.number().nullish(),
});

const envelopeSchema = z.looseObject({
  op: z.enum(["c", "u", "d", "r", "t", "m"]),
  before: z.record(z.string(), z.unknown()).nullish(),
  after: z.record(z.string(), z.unknown()).nullish(),
  source: sourceBlockSchema,
  ts_ms: z.number().nullish(),
});

/** JsonConverter with `schemas.enable=true` wraps each value as `{schema, payload}`; without, it is the payload. */
const unwrap = (value: unknown) =>
  value && typeof value === "object" && "payload" in value && "schema" in value
    ? (value as { payload: unknown }).payload
    : value;

/**
 * A Debezium change event value, with or without the converter's schema; null is a tombstone.
 * Fields Debezium adds in later versions (or a changed table's new columns) pass through.
 */
export const changeEventSchema = z.preprocess(unwrap, envelopeSchema.nullable());

export type ChangeEventValue = z.infer<typeof envelopeSchema>;

/** What the consumer needs from an event: which row of which table changed, and where in the WAL. */
export interface RowChange {
  op: ChangeEventValue["op"];
  /** Debezium's topic prefix, which names the source. */
  origin: string;
  schema: string;
  table: string;
  /** The row's key columns as the event carries them. */
  key: Record<string, unknown>;
  /** The row image after (insert, update) or before (delete: only the key, unless REPLICA IDENTITY FULL). */
  image: Record<string, unknown>;
  lsn: number | undefined;
  commitMs: number | undefined;
}

/**
 * The row a change is about: the record key (Debezium keys events by primary key), else the
 * row image after (insert, update) or before (delete). Undefined for messages without a row
 * (a truncate, a logical-decoding message).
 */
export function toRowChange(value: ChangeEventValue, recordKey: string | null): RowChange {
  const parsedKey = parseKey(recordKey);
  const image = value.after ?? value.before ?? {};
  return {
    op: value.op,
    origin: value.source.name,
    schema: value.source.schema,
    table: value.source.table,
    key: parsedKey ?? image,
    image,
    lsn: value.source.lsn ?? undefined,
    commitMs: value.source.ts_ms ?? undefined,
  };
}

function parseKey(recordKey: string | null): Record<string, unknown> | undefined {
  if (!recordKey) return undefined;
  try {
    const parsed = unwrap(JSON.parse(recordKey));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
