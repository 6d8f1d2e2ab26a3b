import fc from "fast-check";
import { type GeneratedRequest, type Hints, type Rules, SchemaArbitraries } from "./openapi-arbitraries.js";
import type { Endpoint, JsonSchema, OpenApiDocument, OpenApiParameter } from "./openapi-schema.js";

interface Parts {
  path: Record<string, string>;
  query: [string, string][];
  body: unknown;
}

interface RawBody {
  body: string | Uint8Array;
  headers: Record<string, string>;
  label: string;
}

const json = { "content-type": "application/json" };

/** Bodies no JSON schema can accept: broken JSON, bytes that are not UTF-8, other media types. */
function rawBodies(validBody: string): RawBody[] {
  const broken = ['{"a":', "{", "nul", "[1,2", '{"a": 1,}', "{'single': 1}", '{"a": NaN}', "", "\u0000"];
  return [
    ...broken.map((body) => ({ body, headers: json, label: `malformed JSON ${JSON.stringify(body)}` })),
    { body: new Uint8Array([0xff, 0xfe, 0xfd, 0x80]), headers: json, label: "bytes that are not UTF-8" },
    { body: `${"[".repeat(20_000)}${"]".repeat(20_000)}`, headers: json, label: "arrays nested 20,000 deep" },
    { body: validBody, headers: { "content-type": "text/plain" }, label: "a JSON body sent as text/plain" },
    { body: validBody, headers: {}, label: "a JSON body with no content-type" },
    {
      body: "query=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      label: "a form body",
    },
  ];
}

/**
 * Requests for one documented operation: `valid` ones from its parameter and body schemas
 * (hinted names pick real sources and tables), `invalid` ones with exactly one part mutated.
 */
export class OperationRequests {
  private readonly schemas: SchemaArbitraries;
  private readonly pathParameters: OpenApiParameter[];
  private readonly queryParameters: OpenApiParameter[];
  private readonly bodySchema: JsonSchema | undefined;

  constructor(
    document: OpenApiDocument,
    private readonly endpoint: Endpoint,
    hints: Hints = {},
    rules: Rules = {},
  ) {
    this.schemas = new SchemaArbitraries(document, hints, rules);
    const parameters = endpoint.operation.parameters ?? [];
    this.pathParameters = parameters.filter((parameter) => parameter.in === "path");
    this.queryParameters = parameters.filter((parameter) => parameter.in === "query");
    this.bodySchema = endpoint.operation.requestBody?.content["application/json"]?.schema;
  }

  valid(): fc.Arbitrary<GeneratedRequest> {
    return this.validParts().map((parts) => this.toRequest(parts, "valid", false));
  }

  invalid(): fc.Arbitrary<GeneratedRequest> {
    const options: fc.Arbitrary<GeneratedRequest>[] = [this.headerMutation()];
    const body = this.bodySchema;
    if (body) {
      options.push(
        fc
          .tuple(this.validParts(), this.schemas.invalid(body, "body"))
          .map(([parts, mutation]) =>
            this.toRequest(
              { ...parts, body: mutation.value },
              mutation.label,
              !this.schemas.conforms(mutation.value, body),
            ),
          ),
        this.validParts().chain((parts) =>
          fc
            .constantFrom(...rawBodies(JSON.stringify(parts.body)))
            .map((raw) => this.toRequest(parts, raw.label, true, raw)),
        ),
      );
    }
    for (const parameter of this.pathParameters) {
      const schema = parameter.schema ?? { type: "string" };
      options.push(
        fc.tuple(this.validParts(), this.schemas.invalid(schema, parameter.name)).map(([parts, mutation]) => {
          const text = parameterText(mutation.value) ?? "";
          const path = { ...parts.path, [parameter.name]: text };
          // An empty segment matches no route: refused too.
          const refuse = text === "" || !this.parameterConforms(text, schema);
          return this.toRequest({ ...parts, path }, mutation.label, refuse);
        }),
      );
    }
    for (const parameter of this.queryParameters) options.push(this.queryMutation(parameter));
    return fc.oneof(...options);
  }

  private validParts(): fc.Arbitrary<Parts> {
    const text = (parameter: OpenApiParameter) =>
      this.schemas.valid(parameter.schema ?? { type: "string" }, parameter.name).map(parameterText);
    const path = fc.record(
      Object.fromEntries(this.pathParameters.map((parameter) => [parameter.name, text(parameter)])),
    );
    const query = fc.record(
      Object.fromEntries(this.queryParameters.map((parameter) => [parameter.name, text(parameter)])),
      {
        requiredKeys: this.queryParameters
          .filter((parameter) => parameter.required)
          .map((parameter) => parameter.name) as never[],
      },
    );
    const body = this.bodySchema ? this.schemas.valid(this.bodySchema) : fc.constant(undefined);
    return fc.record({ path, query, body }).map((parts) => ({
      path: Object.fromEntries(Object.entries(parts.path).map(([key, value]) => [key, value ?? ""])),
      query: Object.entries(parts.query).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
      body: parts.body,
    }));
  }

  private queryMutation(parameter: OpenApiParameter): fc.Arbitrary<GeneratedRequest> {
    const schema = parameter.schema ?? { type: "string" };
    const without = (parts: Parts) => parts.query.filter(([key]) => key !== parameter.name);
    return fc.oneof(
      fc.tuple(this.validParts(), this.schemas.invalid(schema, parameter.name)).map(([parts, mutation]) => {
        const text = parameterText(mutation.value) ?? "null";
        const query: [string, string][] = [...without(parts), [parameter.name, text]];
        return this.toRequest({ ...parts, query }, mutation.label, !this.parameterConforms(text, schema));
      }),
      this.validParts().map((parts) =>
        this.toRequest({ ...parts, query: without(parts) }, `without ${parameter.name}`, parameter.required === true),
      ),
      fc.tuple(this.validParts(), this.schemas.valid(schema)).map(([parts, value]) => {
        const query: [string, string][] = [...parts.query, [parameter.name, parameterText(value) ?? ""]];
        return this.toRequest({ ...parts, query }, `${parameter.name} given twice`, false);
      }),
    );
  }

  private headerMutation(): fc.Arbitrary<GeneratedRequest> {
    const headerSets: Record<string, string>[] = [
      { accept: "text/html" },
      { accept: "*/*;q=abc, text/html;q=" },
      { accept: "application/xml" },
      { "x-request-id": "<script>alert(1)</script>" },
      { "x-request-id": "r".repeat(1_000) },
      { "accept-encoding": "gzip;q=2, br, zstd, identity;q=-1" },
    ];
    return fc
      .tuple(this.validParts(), fc.constantFrom(...headerSets))
      .map(([parts, headers]) =>
        this.toRequest(parts, `headers ${JSON.stringify(headers).slice(0, 60)}`, false, { headers }),
      );
  }

  /** Query and path values arrive as text: numbers are read as the service's coercion reads plain decimals. */
  private parameterConforms(text: string, schema: JsonSchema): boolean {
    const resolved = this.schemas.resolve(schema);
    const types = Array.isArray(resolved.type) ? resolved.type : [resolved.type];
    if (types.includes("integer") || types.includes("number")) {
      return /^-?\d+(\.\d+)?$/.test(text) && this.schemas.conforms(Number(text), resolved);
    }
    return this.schemas.conforms(text, resolved);
  }

  private toRequest(parts: Parts, label: string, mustRefuse: boolean, raw: Partial<RawBody> = {}): GeneratedRequest {
    const path = this.endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeText(parts.path[name] ?? ""));
    const query = parts.query.map(([key, value]) => `${encodeText(key)}=${encodeText(value)}`).join("&");
    const hasBody = raw.body !== undefined || this.bodySchema !== undefined;
    const body = raw.body ?? (this.bodySchema ? JSON.stringify(parts.body) : undefined);
    return {
      method: this.endpoint.method,
      url: query ? `${path}?${query}` : path,
      headers: { ...(hasBody && !raw.body ? json : {}), ...(raw.headers ?? {}) },
      ...(body === undefined ? {} : { body }),
      label,
      mustRefuse,
    };
  }
}

/** A parameter's text: strings as they are, anything else as JSON; null means "leave it out". */
function parameterText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) is sent as the three
 * bytes a careless encoder would produce: the service must cope with that too.
 */
export function encodeText(text: string): string {
  let encoded = "";
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) {
      encoded += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join("");
    } else {
      encoded += encodeURIComponent(character);
    }
  }
  return encoded;
}
