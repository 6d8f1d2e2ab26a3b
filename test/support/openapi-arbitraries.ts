import fc from "fast-check";
import { type JsonSchema, type OpenApiDocument, SchemaDocument, typesOf } from "./openapi-schema.js";

/** Values a valid request may use for a property or parameter of this name, so it reaches real data. */
export type Hints = Readonly<Record<string, readonly unknown[]>>;

/**
 * Rules the service enforces that its document cannot state (a value needed unless the operator
 * is is_null, say), by property name: valid values are generated only where they hold.
 */
export type Rules = Readonly<Record<string, (value: unknown) => boolean>>;

export interface GeneratedRequest {
  method: string;
  /** Path and query string, encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** "valid", or the mutation applied: shown when a property fails. */
  label: string;
  /** The document forbids it, so the service must answer 4xx. */
  mustRefuse: boolean;
}

interface Mutation {
  value: unknown;
  label: string;
}

const huge = "x".repeat(200_000);
// Values of every JSON type, MongoDB operator objects included: one of them is the wrong type for any schema.
const strangers: unknown[] = [123, -1, 1.5, true, "text", "", null, [], [1, "a"], {}, { $gt: "" }, { $where: "1" }];

/**
 * fast-check arbitraries from the JSON schemas of one OpenAPI document: `valid` values follow
 * types, enums, bounds, lengths and patterns; `invalid` ones mutate a valid value (wrong type,
 * missing or extra property, out of range, too long, pattern broken). Whether a mutated value
 * is still allowed is decided by `conforms`, against the same document, not by guessing.
 */
export class SchemaArbitraries extends SchemaDocument {
  constructor(
    document: OpenApiDocument,
    private readonly hints: Hints = {},
    private readonly rules: Rules = {},
    /** Longest generated valid string, so valid requests stay cheap; bounds are still exercised by mutations. */
    private readonly maxStringLength = 24,
  ) {
    super(document);
  }

  valid(schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
    const rule = name === undefined ? undefined : this.rules[name];
    const generated = this.validFromSchema(this.resolve(schema));
    const fromSchema = rule ? generated.filter(rule) : generated;
    // A hint is used only where the schema allows it: one name can mean different shapes.
    const hinted = name === undefined ? [] : (this.hints[name] ?? []).filter((value) => this.conforms(value, schema));
    if (!hinted.length) return fromSchema;
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...hinted) }, { weight: 1, arbitrary: fromSchema });
  }

  invalid(schema: JsonSchema, name?: string): fc.Arbitrary<Mutation> {
    const resolved = this.resolve(schema);
    const types = typesOf(resolved);
    const numeric = types.includes("integer") || types.includes("number");
    // Some numbers are coerced (z.coerce: true → 1, "" → 0), which a document cannot say: only
    // values no coercion turns into a number count as the wrong type for them.
    const wrongTypes = strangers.filter((value) => !numeric || Number.isNaN(Number(value)));
    const options: fc.Arbitrary<Mutation>[] = [
      fc
        .constantFrom(...wrongTypes)
        .map((value) => ({ value, label: `${name ?? "value"} = ${JSON.stringify(value)}` })),
    ];
    if (types.includes("string")) options.push(this.invalidString(resolved, name ?? "value"));
    if (numeric) options.push(invalidNumber(resolved, name ?? "value"));
    if (types.includes("array") && resolved.items) options.push(this.invalidArray(resolved, name ?? "value"));
    if (types.includes("object")) options.push(this.invalidObject(resolved, name ?? "value"));
    return fc.oneof(...options);
  }

  /** One fixed valid value: a hint, else the schema's example or default, else the least that fits. */
  example(schema: JsonSchema, name?: string): unknown {
    const resolved = this.resolve(schema);
    const hinted = name === undefined ? [] : (this.hints[name] ?? []).filter((value) => this.conforms(value, resolved));
    if (hinted.length) return hinted[0];
    for (const candidate of [resolved.example, resolved.default]) {
      if (candidate !== undefined && this.conforms(candidate, resolved)) return candidate;
    }
    const variants = resolved.anyOf ?? resolved.oneOf;
    if (variants?.[0]) return this.example(variants[0]);
    if (resolved.enum) return resolved.enum[0];
    switch (typesOf(resolved)[0]) {
      case "string":
        if (resolved.pattern)
          return fc.sample(fc.stringMatching(new RegExp(resolved.pattern, "u")), { numRuns: 1, seed: 1 })[0];
        return "a".repeat(Math.max(resolved.minLength ?? 0, 1));
      case "integer":
      case "number":
        return Math.max(integerMinimum(resolved), Math.min(1, integerMaximum(resolved)));
      case "boolean":
        return false;
      case "array":
        return Array.from({ length: resolved.minItems ?? 0 }, () => this.example(resolved.items ?? {}));
      case "object": {
        const required = new Set(resolved.required ?? []);
        const entries = Object.entries(resolved.properties ?? {})
          .filter(
            ([key]) =>
              required.has(key) ||
              this.hints[key]?.some((value) => this.conforms(value, resolved.properties?.[key] ?? {})),
          )
          .map(([key, property]) => [key, this.example(property, key)]);
        return Object.fromEntries(entries);
      }
      default:
        return null;
    }
  }

  private validFromSchema(schema: JsonSchema): fc.Arbitrary<unknown> {
    const variants = schema.anyOf ?? schema.oneOf;
    if (variants) return fc.oneof(...variants.map((variant) => this.valid(variant)));
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if ("const" in schema) return fc.constant(schema.const);
    const types = typesOf(schema);
    if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
    return fc.oneof(...types.map((type) => this.validOfType(schema, type)));
  }

  private validOfType(schema: JsonSchema, type: string): fc.Arbitrary<unknown> {
    switch (type) {
      case "string":
        return this.validString(schema);
      case "integer":
        return fc.integer({ min: integerMinimum(schema), max: integerMaximum(schema) });
      case "number":
        return fc.double({
          min: schema.minimum ?? (schema.exclusiveMinimum ?? -1e9) + 1e-6,
          max: schema.maximum ?? (schema.exclusiveMaximum ?? 1e9) - 1e-6,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array": {
        const minLength = schema.minItems ?? 0;
        const items = schema.items ? this.valid(schema.items) : fc.jsonValue({ maxDepth: 1 });
        return fc.array(items, { minLength, maxLength: Math.min(schema.maxItems ?? minLength + 3, minLength + 3) });
      }
      case "object":
        return this.validObject(schema);
      default:
        throw new Error(`unsupported schema type ${type}`);
    }
  }

  private validString(schema: JsonSchema): fc.Arbitrary<string> {
    const minLength = schema.minLength ?? 0;
    const maxLength = Math.min(schema.maxLength ?? Infinity, Math.max(minLength, this.maxStringLength));
    const fits = (value: string) => value.length >= minLength && value.length <= (schema.maxLength ?? Infinity);
    if (schema.pattern) {
      const regex = new RegExp(schema.pattern, "u");
      const example = typeof schema.example === "string" && regex.test(schema.example) ? [schema.example] : [];
      try {
        const matching = fc.stringMatching(regex, { maxLength }).filter(fits);
        return example.length ? fc.oneof(fc.constantFrom(...example), matching) : matching;
      } catch (error) {
        if (example.length) return fc.constantFrom(...example);
        throw new Error(`pattern ${schema.pattern} is not generatable and has no matching example`, { cause: error });
      }
    }
    const unit = fc.constantFrom("grapheme-ascii", "binary-ascii", "grapheme", "binary") as fc.Arbitrary<
      "grapheme-ascii" | "binary-ascii" | "grapheme" | "binary"
    >;
    // JSON Schema cannot say "trimmed"; the service trims free text before checking its length.
    return unit
      .chain((chosen) => fc.string({ unit: chosen, minLength, maxLength }))
      .map((value) => value.trim())
      .filter(fits);
  }

  private validObject(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
    const properties = schema.properties ?? {};
    const model = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, this.valid(value, key)]));
    const declared = fc.record(model, { requiredKeys: (schema.required ?? []) as never[] });
    const extra = schema.additionalProperties;
    if (typeof extra !== "object") return declared;
    // The document says nothing of key names here; plain identifiers are what clients send.
    const names = schema.propertyNames;
    const keys = fc
      .stringMatching(/^[a-z_][a-z0-9_]{0,15}$/)
      .filter((key) => !names || this.conforms(key, { type: "string", ...names }));
    const maxKeys = Math.min(3, schema.maxProperties ?? 3);
    return fc
      .tuple(declared, fc.dictionary(keys, this.valid(extra), { maxKeys }))
      .map(([known, added]) => ({ ...added, ...known }));
  }

  private invalidString(schema: JsonSchema, name: string): fc.Arbitrary<Mutation> {
    const options: Mutation[] = [
      { value: huge, label: `${name} is 200,000 characters` },
      { value: "\ud800", label: `${name} is a lone surrogate` },
      { value: "a\u0000b", label: `${name} holds a NUL` },
    ];
    if (schema.maxLength !== undefined) {
      options.push({ value: "a".repeat(schema.maxLength + 1), label: `${name} is one too long` });
    }
    if ((schema.minLength ?? 0) > 0) options.push({ value: "", label: `${name} is empty` });
    if (schema.enum) options.push({ value: "not-one-of-the-enum", label: `${name} outside its enum` });
    if (schema.pattern) {
      for (const value of ["has space", "semi;colon", "émoji😀", "../..", "$where"]) {
        if (!new RegExp(schema.pattern, "u").test(value)) options.push({ value, label: `${name} breaks its pattern` });
      }
    }
    return fc.constantFrom(...options);
  }

  private invalidArray(schema: JsonSchema, name: string): fc.Arbitrary<Mutation> {
    const items = schema.items ?? {};
    const options: fc.Arbitrary<Mutation>[] = [
      this.invalid(items, `${name}[0]`).map((mutation) => ({ value: [mutation.value], label: mutation.label })),
    ];
    if (schema.maxItems !== undefined) {
      const count = schema.maxItems + 1;
      options.push(
        this.valid(items).map((item) => ({ value: Array(count).fill(item), label: `${name} has ${count} items` })),
      );
    }
    if ((schema.minItems ?? 0) > 0) options.push(fc.constant({ value: [], label: `${name} is empty` }));
    return fc.oneof(...options);
  }

  private invalidObject(schema: JsonSchema, name: string): fc.Arbitrary<Mutation> {
    const base = this.validObject(schema);
    const keys = Object.keys(schema.properties ?? {});
    const options: fc.Arbitrary<Mutation>[] = [
      base.map((value) => ({ value: [value], label: `${name} wrapped in an array` })),
      base.map((value) => ({ value: { ...value, unexpected_field: 1 }, label: `${name} has an extra property` })),
      // JSON.parse makes "__proto__" an own key: it must not reach any prototype.
      base.map((value) => ({
        value: JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(value).slice(1)}`.replace(/, }$/, "}")),
        label: `${name} has a __proto__ key`,
      })),
    ];
    for (const key of schema.required ?? []) {
      options.push(
        base.map((value) => {
          const { [key]: _dropped, ...rest } = value;
          return { value: rest, label: `${name} without required ${key}` };
        }),
      );
    }
    for (const key of keys) {
      const property = schema.properties?.[key] ?? {};
      options.push(
        fc.tuple(base, this.invalid(property, `${name}.${key}`)).map(([value, mutation]) => ({
          value: { ...value, [key]: mutation.value },
          label: mutation.label,
        })),
      );
    }
    if (typeof schema.additionalProperties === "object") {
      const extra = schema.additionalProperties;
      options.push(
        fc.tuple(base, this.valid(extra)).map(([value, item]) => ({
          value: { ...value, $where: item },
          label: `${name} has a '$where' key`,
        })),
        fc.tuple(base, this.valid(extra)).map(([value, item]) => ({
          value: { ...value, ...Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`field${index}`, item])) },
          label: `${name} has 12 more keys`,
        })),
      );
    }
    return fc.oneof(...options);
  }
}

function integerMinimum(schema: JsonSchema): number {
  if (schema.minimum !== undefined) return Math.ceil(schema.minimum);
  if (schema.exclusiveMinimum !== undefined) return Math.floor(schema.exclusiveMinimum) + 1;
  return -1_000_000;
}

function integerMaximum(schema: JsonSchema): number {
  if (schema.maximum !== undefined) return Math.floor(schema.maximum);
  if (schema.exclusiveMaximum !== undefined) return Math.ceil(schema.exclusiveMaximum) - 1;
  return 1_000_000;
}

function invalidNumber(schema: JsonSchema, name: string): fc.Arbitrary<Mutation> {
  const options: Mutation[] = [
    { value: 1e308, label: `${name} is 1e308` },
    { value: -1e308, label: `${name} is -1e308` },
    { value: Number.MAX_SAFE_INTEGER + 2, label: `${name} is beyond 2^53` },
    // Objects and non-numeric text: refused even where the service coerces numbers.
    { value: "not a number", label: `${name} is text` },
  ];
  if (typesOf(schema).includes("integer") && !typesOf(schema).includes("number")) {
    options.push({ value: (schema.minimum ?? 0) + 0.5, label: `${name} is not an integer` });
  }
  if (schema.maximum !== undefined) options.push({ value: schema.maximum + 1, label: `${name} above its maximum` });
  if (schema.minimum !== undefined) options.push({ value: schema.minimum - 1, label: `${name} below its minimum` });
  if (schema.exclusiveMinimum !== undefined) {
    options.push({ value: schema.exclusiveMinimum, label: `${name} at its exclusive minimum` });
  }
  return fc.constantFrom(...options);
}
