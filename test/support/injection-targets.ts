import type { GeneratedRequest, SchemaArbitraries } from "./openapi-arbitraries.js";
import { encodeText } from "./openapi-requests.js";
import { type Endpoint, type JsonSchema, typesOf } from "./openapi-schema.js";

/** One place a request carries text: a body field (by path), an object's keys, or a parameter. */
export interface InjectionTarget {
  endpoint: Endpoint;
  where: "body" | "body-key" | "path" | "query";
  /** Body path (keys and array indexes), or the parameter's name. */
  path: (string | number)[];
  label: string;
}

/**
 * Every text-taking place of an operation, found in its document: string fields at any depth
 * (array items and nested objects included), the keys of free-form objects (metadata filters)
 * and their `source` and `name` values, and string path and query parameters.
 */
export function injectionTargets(schemas: SchemaArbitraries, endpoint: Endpoint): InjectionTarget[] {
  const found: InjectionTarget[] = [];
  const operation = endpoint.operation;
  for (const parameter of operation.parameters ?? []) {
    if (parameter.in !== "path" && parameter.in !== "query") continue;
    if (!typesOf(schemas.resolve(parameter.schema ?? { type: "string" })).includes("string")) continue;
    found.push({ endpoint, where: parameter.in, path: [parameter.name], label: `${parameter.in} ${parameter.name}` });
  }
  const body = operation.requestBody?.content["application/json"]?.schema;
  if (body)
    walk(schemas, body, [], (where, path) => found.push({ endpoint, where, path, label: describe(where, path) }));
  return found;
}

function walk(
  schemas: SchemaArbitraries,
  schema: JsonSchema,
  path: (string | number)[],
  add: (where: "body" | "body-key", path: (string | number)[]) => void,
): void {
  const resolved = schemas.resolve(schema);
  const variants = resolved.anyOf ?? resolved.oneOf;
  const types = variants ? variants.flatMap((variant) => typesOf(schemas.resolve(variant))) : typesOf(resolved);
  if (types.includes("string") && path.length > 0) add("body", path);
  if (variants) return;
  if (types.includes("array") && resolved.items) walk(schemas, resolved.items, [...path, 0], add);
  if (!types.includes("object")) return;
  for (const [key, property] of Object.entries(resolved.properties ?? {})) walk(schemas, property, [...path, key], add);
  const extra = resolved.additionalProperties;
  if (typeof extra === "object") {
    add("body-key", path);
    walk(schemas, extra, [...path, "source"], add);
    walk(schemas, extra, [...path, "name"], add);
  }
}

function describe(where: string, path: (string | number)[]): string {
  const text = path.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
  return `${where === "body-key" ? "a key of body" : "body"}${text}`;
}

/** The operation's fixed valid example request: hints choose real sources, tables and fields. */
export function exampleRequest(schemas: SchemaArbitraries, endpoint: Endpoint): GeneratedRequest {
  return injectedRequest(schemas, { endpoint, where: "none", path: [], label: "the example" }, "");
}

/**
 * A request whose every part is the fixed valid example except the target, which carries
 * `payload`. Containers on the way are created from examples.
 */
export function injectedRequest(
  schemas: SchemaArbitraries,
  target: InjectionTarget | (Omit<InjectionTarget, "where"> & { where: "none" }),
  payload: unknown,
): GeneratedRequest {
  const { endpoint } = target;
  const text = typeof payload === "string" ? payload : JSON.stringify(payload);
  const parameters = endpoint.operation.parameters ?? [];
  const value = (name: string, where: string) => {
    if (target.where === where && target.path[0] === name) return text;
    const parameter = parameters.find((candidate) => candidate.name === name);
    const example = schemas.example(parameter?.schema ?? { type: "string" }, name);
    return typeof example === "string" ? example : JSON.stringify(example);
  };
  const path = endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeText(value(name, "path")));
  const query = parameters
    .filter((parameter) => parameter.in === "query" && (parameter.required || target.path[0] === parameter.name))
    .map((parameter) => `${encodeText(parameter.name)}=${encodeText(value(parameter.name, "query"))}`)
    .join("&");
  const bodySchema = endpoint.operation.requestBody?.content["application/json"]?.schema;
  let body: unknown;
  if (bodySchema) {
    body = schemas.example(bodySchema);
    if (target.where === "body") body = setAt(schemas, body, bodySchema, target.path, payload);
    // Inline connection settings are read only when no source is named.
    if (target.path[0] === "connection_params" && body !== null && typeof body === "object") {
      const { source: _named, ...rest } = body as Record<string, unknown>;
      body = rest;
    }
    if (target.where === "body-key") body = setAt(schemas, body, bodySchema, target.path, { [text]: "x" }, true);
  }
  return {
    method: endpoint.method,
    url: query ? `${path}?${query}` : path,
    headers: bodySchema ? { "content-type": "application/json" } : {},
    ...(bodySchema ? { body: JSON.stringify(body) } : {}),
    label:
      target.where === "none"
        ? target.label
        : `${target.label} = ${text.length > 60 ? `${text.slice(0, 60)}… (${text.length} characters)` : text}`,
    mustRefuse: false,
  };
}

function setAt(
  schemas: SchemaArbitraries,
  value: unknown,
  schema: JsonSchema,
  path: (string | number)[],
  payload: unknown,
  merge = false,
): unknown {
  const [head, ...rest] = path;
  const resolved = schemas.resolve(schema);
  if (head === undefined) {
    const existing = value !== null && typeof value === "object" && !Array.isArray(value) ? value : {};
    return merge ? { ...existing, ...(payload as object) } : payload;
  }
  if (typeof head === "number") {
    const items = resolved.items ?? {};
    const array = Array.isArray(value) && value.length > 0 ? [...value] : [schemas.example(items)];
    array[head] = setAt(schemas, array[head], items, rest, payload, merge);
    return array;
  }
  const record: Record<string, unknown> =
    value !== null && typeof value === "object" && !Array.isArray(value) ? { ...value } : {};
  const extra = resolved.additionalProperties;
  const child = resolved.properties?.[head] ?? (typeof extra === "object" ? extra : {});
  const current = record[head] ?? (rest.length > 0 || merge ? schemas.example(child, head) : undefined);
  record[head] = setAt(schemas, current, child, rest, payload, merge);
  return record;
}
