import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalApp } from "../../../functions/local/server.js";
import {
  createFuzzFixture,
  errorOf,
  type FuzzFixture,
  problemsWith,
  seedFuzzFixture,
  send,
} from "../../support/fuzz-fixture.js";
import type { GeneratedRequest, Rules } from "../../support/openapi-arbitraries.js";
import { OperationRequests } from "../../support/openapi-requests.js";
import { undocumentedIn } from "../../support/openapi-responses.js";
import { type Endpoint, listEndpoints, type OpenApiDocument, SchemaDocument } from "../../support/openapi-schema.js";
import { testServices } from "../../support/services.js";

// The document the local server publishes: an operation added to any function is fuzzed here too.
const document = (await (await createLocalApp().request("/openapi.json")).json()) as OpenApiDocument;
const endpoints = listEndpoints(document);
const schemas = new SchemaDocument(document);

// Fixed, so a failure replays; FUZZ_SEED explores other sequences. fast-check prints the seed and path on failure.
const seed = Number(process.env.FUZZ_SEED ?? 20_261_124);
const validRuns = Number(process.env.FUZZ_VALID_RUNS ?? 12);
const invalidRuns = Number(process.env.FUZZ_INVALID_RUNS ?? 25);

/**
 * What the service checks beyond its document (JSON Schema here has no conditionals): a row filter
 * needs a value unless its operator is is_null/not_null, a list exactly for `in`; a metadata `$in`
 * list holds one type (Chroma tells whole numbers from fractions).
 */
const rules: Rules = {
  // An OpenAI conversation ends with the user's question, in text (the document cannot say "the last item").
  messages: (value) => {
    const last = Array.isArray(value) ? (value.at(-1) as { role?: string; content?: unknown } | undefined) : undefined;
    const text =
      typeof last?.content === "string"
        ? last.content
        : Array.isArray(last?.content)
          ? last.content
              .map((part: { type?: string; text?: string }) => (part.type === "text" ? (part.text ?? "") : ""))
              .join("\n")
          : "";
    return last?.role === "user" && text.trim().length > 0 && text.trim().length <= 4_000;
  },
  filters: (value) => {
    if (Array.isArray(value)) {
      return value.every((filter: { op?: string; value?: unknown }) => {
        const op = filter.op ?? "eq";
        if (op === "is_null" || op === "not_null") return true;
        return op === "in"
          ? Array.isArray(filter.value)
          : filter.value !== undefined && filter.value !== null && !Array.isArray(filter.value);
      });
    }
    return Object.values(value as Record<string, unknown>).every((item) => {
      const list = (item as { $in?: unknown[] } | null)?.$in;
      if (!Array.isArray(list)) return true;
      const kinds = list.map((entry) => (typeof entry === "number" ? Number.isInteger(entry) : typeof entry));
      return new Set(kinds).size === 1;
    });
  },
};

// Twice: open, and with API keys configured and a rate limit on (every request through the key check and the limiter).
describe.each([
  { mode: "without keys", withApiKeys: false },
  { mode: "with API keys and a rate limit", withApiKeys: true },
])(
  "every documented operation, fuzzed from its OpenAPI schema on the real services ($mode)",
  {
    timeout: 120_000,
  },
  ({ withApiKeys }) => {
    let fixture: FuzzFixture;
    let secrets: string[];

    beforeAll(async () => {
      fixture = await createFuzzFixture(withApiKeys ? "fuzzkeys" : "fuzz", { withApiKeys });
      secrets = [process.cwd(), fixture.dataDir, testServices.postgresUrl, "postgresql://", "mongodb://"];
      await seedFuzzFixture(fixture);
    }, 180_000);

    afterAll(async () => {
      await fixture?.close();
    });

    it("fuzzes the same operations the test router serves", () => {
      expect(endpoints.length).toBeGreaterThanOrEqual(20);
      expect(Object.keys(fixture.document.paths).sort()).toEqual(Object.keys(document.paths).sort());
    });

    // Every answer, to valid and invalid requests alike, is one the document describes: status and body.
    const check = async (endpoint: Endpoint, request: GeneratedRequest) => {
      const answer = await send(fixture.app, request);
      const problems = problemsWith(answer, { canary: fixture.canary, secrets, unreachable: fixture.unreachable });
      problems.push(...undocumentedIn(schemas, endpoint, answer));
      return { answer, problems };
    };
    const describeFailure = (request: GeneratedRequest, status: number, problems: string[]) =>
      `${request.label}: ${request.method} ${request.url.slice(0, 200)} → ${status}\n  ${problems.join("\n  ")}`;

    for (const endpoint of endpoints) {
      describe(`${endpoint.method} ${endpoint.path}`, () => {
        it("answers documented-valid requests without a 5xx, a validation error or a hang, and some get past the names", async () => {
          const outcomes: { status: number; code?: string; component?: string; text: string }[] = [];
          const requests = fc
            .constantFrom(...fixture.scenarios)
            .chain((hints) => new OperationRequests(document, endpoint, hints, rules).valid());
          await fc.assert(
            fc.asyncProperty(requests, async (request) => {
              const { answer, problems } = await check(endpoint, request);
              const error = errorOf(answer);
              outcomes.push({
                status: answer.status,
                code: error?.code,
                component: error?.component,
                text: error ? `${answer.status} ${error.code}: ${error.message.slice(0, 80)}` : String(answer.status),
              });
              if (answer.status === 400 && error?.code === "validation_error")
                problems.push("the service refused a request its document allows");
              if (answer.text.includes("No route for")) problems.push("no function owns this documented route");
              if (problems.length) throw new Error(describeFailure(request, answer.status, problems));
            }),
            { numRuns: validRuns, seed },
          );
          // Without this the property could pass on requests that never get past the gate: some must
          // succeed, or be answered by what lies behind a real source and table. A 503 counts only
          // when it names the component the fixture keeps out of reach on purpose (reached after the names).
          const stoppedAtTheGate = ["validation_error", "not_found", "inline_connections_disabled"];
          const pastTheNames = (outcome: (typeof outcomes)[number]) =>
            (outcome.status >= 200 && outcome.status < 300) ||
            (outcome.status === 503 && fixture.unreachable.includes(outcome.component ?? "")) ||
            (outcome.status >= 400 && outcome.status < 500 && !stoppedAtTheGate.includes(outcome.code ?? ""));
          expect(outcomes.some(pastTheNames), outcomes.map((outcome) => outcome.text).join("\n")).toBe(true);
        });

        it("refuses requests the document forbids with a 4xx in the envelope, and never a 5xx or a hang", async () => {
          const requests = fc
            .constantFrom(...fixture.scenarios)
            .chain((hints) => new OperationRequests(document, endpoint, hints, rules).invalid());
          await fc.assert(
            fc.asyncProperty(requests, async (request) => {
              const { answer, problems } = await check(endpoint, request);
              if (request.mustRefuse && (answer.status < 400 || answer.status >= 500)) {
                problems.push(`expected a 4xx for a request the document forbids, got ${answer.status}`);
              }
              if (problems.length) throw new Error(describeFailure(request, answer.status, problems));
            }),
            { numRuns: invalidRuns, seed },
          );
        });
      });
    }
  },
);
