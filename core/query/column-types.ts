import { FileConnector, type SourceConnector, type TableSchema } from "../sources/index.js";
import { looksLikeDate, looksNumeric, type ValueType } from "./values.js";

const postgresTypes: [RegExp, ValueType][] = [
  [/^(smallint|integer|bigint|numeric|decimal|real|double precision)\b/, "number"],
  [/^(text|character varying|character|varchar|char|citext|name)\b/, "text"],
  [/^(date|timestamp)\b/, "date"],
  [/^boolean\b/, "boolean"],
];

/** PostgreSQL's declared type; MongoDB's sampled BSON types (null aside); for files, the sampled values. */
export async function columnTypes(
  connector: SourceConnector,
  schema: TableSchema,
  sampleSize: number,
): Promise<Map<string, ValueType>> {
  if (connector.kind === "postgresql") {
    return new Map(
      schema.columns.map((column) => [
        column.name,
        postgresTypes.find(([pattern]) => pattern.test(column.type))?.[1] ?? "other",
      ]),
    );
  }
  if (connector.kind === "mongodb") {
    return new Map(schema.columns.map((column) => [column.name, bsonType(column.type)]));
  }
  return fileTypes(connector, schema, sampleSize);
}

function bsonType(seen: string): ValueType {
  const types = seen.split("|").filter((type) => type !== "null");
  if (types.length === 0) return "other";
  if (types.every((type) => ["number", "double", "int32", "long"].includes(type))) return "number";
  if (types.length > 1) return "other";
  return ({ string: "text", date: "date", boolean: "boolean" } as Record<string, ValueType>)[types[0] ?? ""] ?? "other";
}

/**
 * Files store text (CSV) or JSON: a column is a number when every sampled non-empty value is one (or
 * reads as one), a date when every one is an ISO 8601 date, a boolean when every one is true/false.
 */
async function fileTypes(
  connector: SourceConnector,
  schema: TableSchema,
  sampleSize: number,
): Promise<Map<string, ValueType>> {
  const seen = new Map<string, unknown[]>(schema.columns.map((column) => [column.name, []]));
  if (connector instanceof FileConnector) {
    let sampled = 0;
    for await (const row of connector.rows(schema.name)) {
      for (const [name, values] of seen) {
        const value = row[name];
        if (value !== null && value !== undefined && value !== "") values.push(value);
      }
      if (++sampled >= sampleSize) break;
    }
  }
  return new Map([...seen].map(([name, values]) => [name, sampledType(values)]));
}

function sampledType(values: unknown[]): ValueType {
  if (values.length === 0) return "text";
  const every = (test: (value: unknown) => boolean) => values.every(test);
  if (every((value) => typeof value === "number" || (typeof value === "string" && looksNumeric(value))))
    return "number";
  if (every((value) => typeof value === "string" && looksLikeDate(value))) return "date";
  if (every((value) => typeof value === "boolean" || value === "true" || value === "false")) return "boolean";
  if (every((value) => typeof value === "string")) return "text";
  return "other";
}
