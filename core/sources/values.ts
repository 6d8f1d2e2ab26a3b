/** Converting driver values (pg, BSON, files) into what Chroma metadata and document text can hold. */

export type MetadataValue = string | number | boolean;

const bsonType = (value: object): string | undefined => {
  const type = (value as { _bsontype?: unknown })._bsontype;
  return typeof type === "string" ? type : undefined;
};

/**
 * A scalar for metadata, or undefined for null (dropped). Never loses precision: integers
 * beyond 2^53, numeric/Decimal128 and non-finite numbers become strings.
 */
export function toMetadataValue(value: unknown): MetadataValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return `base64:${value.toString("base64")}`;
  if (typeof value === "object") {
    const scalar = bsonScalar(value);
    if (scalar !== undefined) return scalar;
    return JSON.stringify(value, jsonReplacer);
  }
  return String(value);
}

/** Text for a document line: strings as they are, everything else as its metadata form. */
export function toText(value: unknown): string {
  const converted = toMetadataValue(value);
  return converted === undefined ? "" : String(converted);
}

/** BSON scalars: ObjectId and UUID as hex/uuid text, Decimal128 as its exact decimal text, Long as a number when safe. */
function bsonScalar(value: object): MetadataValue | undefined {
  switch (bsonType(value)) {
    case "ObjectId":
    case "ObjectID":
      return (value as { toHexString(): string }).toHexString();
    case "Decimal128":
      return value.toString();
    case "Long": {
      const text = value.toString();
      return Number.isSafeInteger(Number(text)) ? Number(text) : text;
    }
    case "Int32":
    case "Double":
      return Number((value as { valueOf(): number }).valueOf());
    case "Binary": {
      const binary = value as {
        sub_type: number;
        toUUID?: () => { toString(): string };
        toString(encoding: string): string;
      };
      if (binary.sub_type === 4 && binary.toUUID) return binary.toUUID().toString();
      return `base64:${binary.toString("base64")}`;
    }
    case "UUID":
      return value.toString();
    case "Timestamp":
    case "BSONRegExp":
    case "Code":
    case "MinKey":
    case "MaxKey":
    case "BSONSymbol":
      // Their extended-JSON form (toJSON) is the least surprising text for these rare types.
      return JSON.stringify(value);
    default:
      return undefined;
  }
}

/**
 * JSON.stringify replacer that writes nested BSON values, bigints and buffers as their scalar forms.
 * It reads the holder's original value: JSON.stringify has already applied toJSON (Decimal128 would
 * otherwise arrive as {"$numberDecimal": …}).
 */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  const original = this && typeof this === "object" ? (this as Record<string, unknown>)[key] : value;
  if (typeof original === "bigint") return toMetadataValue(original);
  if (original && typeof original === "object" && !Array.isArray(original)) {
    if (Buffer.isBuffer(original)) return toMetadataValue(original);
    if (bsonType(original)) {
      const scalar = bsonScalar(original);
      if (typeof scalar !== "string" || !scalar.startsWith("{")) return scalar ?? value;
    }
  }
  return value;
}

/** Reads a dotted path (MongoDB nested fields); a flat key containing the dots wins, as in a CSV header. */
export function readPath(row: Record<string, unknown>, field: string): unknown {
  if (field in row) return row[field];
  let current: unknown = row;
  for (const part of field.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
