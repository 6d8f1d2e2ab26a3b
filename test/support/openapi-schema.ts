/** The parts of OpenAPI 3.1 documents (and their JSON Schemas) that the service's documents use. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  maxProperties?: number;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  example?: unknown;
  default?: unknown;
}

export interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Endpoint {
  method: string;
  /** As documented, `{name}` placeholders included. */
  path: string;
  operation: OpenApiOperation;
}

const httpMethods = ["get", "put", "post", "delete", "patch", "head", "options"];

export function listEndpoints(document: OpenApiDocument): Endpoint[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => httpMethods.includes(method))
      .map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
}

/** $ref resolution and conformance against one document: what the generators build on. */
export class SchemaDocument {
  constructor(protected readonly document: OpenApiDocument) {}

  resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace(/^#\/components\/schemas\//, "");
    const target = this.document.components?.schemas?.[name];
    if (!target) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return this.resolve(target);
  }

  /** Whether the document allows `value`; string lengths count UTF-16 units, as the service's zod does. */
  conforms(value: unknown, schema: JsonSchema): boolean {
    const resolved = this.resolve(schema);
    if (resolved.anyOf && !resolved.anyOf.some((variant) => this.conforms(value, variant))) return false;
    if (resolved.oneOf && !resolved.oneOf.some((variant) => this.conforms(value, variant))) return false;
    if (resolved.allOf && !resolved.allOf.every((variant) => this.conforms(value, variant))) return false;
    if (resolved.enum && !resolved.enum.some((item) => item === value)) return false;
    if ("const" in resolved && resolved.const !== value) return false;
    const types = typesOf(resolved);
    if (types.length && !types.some((type) => hasType(value, type))) return false;
    if (typeof value === "string") {
      if (value.length < (resolved.minLength ?? 0) || value.length > (resolved.maxLength ?? Infinity)) return false;
      if (resolved.pattern && !new RegExp(resolved.pattern, "u").test(value)) return false;
    }
    if (typeof value === "number") {
      if (value < (resolved.minimum ?? -Infinity) || value > (resolved.maximum ?? Infinity)) return false;
      if (resolved.exclusiveMinimum !== undefined && value <= resolved.exclusiveMinimum) return false;
      if (resolved.exclusiveMaximum !== undefined && value >= resolved.exclusiveMaximum) return false;
    }
    if (Array.isArray(value)) {
      if (value.length < (resolved.minItems ?? 0) || value.length > (resolved.maxItems ?? Infinity)) return false;
      const items = resolved.items;
      if (items && !value.every((item) => this.conforms(item, items))) return false;
    } else if (value !== null && typeof value === "object") {
      const record = value as Record<string, unknown>;
      const properties = resolved.properties ?? {};
      if ((resolved.required ?? []).some((key) => !(key in record))) return false;
      if (Object.keys(record).length > (resolved.maxProperties ?? Infinity)) return false;
      const names = resolved.propertyNames;
      if (names && !Object.keys(record).every((key) => this.conforms(key, { type: "string", ...names }))) return false;
      for (const [key, item] of Object.entries(record)) {
        const declared = Object.hasOwn(properties, key) ? properties[key] : undefined;
        const extra = resolved.additionalProperties;
        if (declared ? !this.conforms(item, declared) : extra === false) return false;
        if (!declared && typeof extra === "object" && !this.conforms(item, extra)) return false;
      }
    }
    return true;
  }
}

export function typesOf(schema: JsonSchema): string[] {
  if (schema.type === undefined) return [];
  return Array.isArray(schema.type) ? schema.type : [schema.type];
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}
