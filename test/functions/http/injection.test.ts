import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { serve } from "@hono/node-server";
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
import { readJson } from "../../support/http.js";
import { exampleRequest, injectedRequest, injectionTargets } from "../../support/injection-targets.js";
import { type GeneratedRequest, SchemaArbitraries } from "../../support/openapi-arbitraries.js";
import { listEndpoints, type OpenApiDocument } from "../../support/openapi-schema.js";
import { testServices } from "../../support/services.js";

const document = (await (await createLocalApp().request("/openapi.json")).json()) as OpenApiDocument;
const endpoints = listEndpoints(document)
  .map((endpoint) => ({ endpoint, targets: injectionTargets(new SchemaArbitraries(document), endpoint) }))
  .filter((entry) => entry.targets.length > 0);

/** Text that has broken services before: SQL, MongoDB operators, traversal, CR/LF, size, encodings, homoglyphs. */
function textCorpus(root: string): string[] {
  return [
    "'; DROP TABLE items; --",
    '" OR 1=1 --',
    'items"; DROP TABLE items; --',
    "1; SELECT pg_sleep(5)",
    "' UNION SELECT usename, passwd FROM pg_shadow --",
    '{"$where": "sleep(1000)"}',
    '{"$gt": ""}',
    "$where",
    "a.$[]",
    "../../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "/etc/passwd",
    "C:\\windows\\win.ini",
    "..\\..\\secret.csv",
    "../secret.csv",
    "samples/../../secret.csv",
    path.join(root, "secret.csv"),
    "samples/link.csv",
    "link.csv",
    "escape/secret.csv",
    "file:///etc/passwd",
    "samples/products.csv\u0000.txt",
    "name\r\nX-Injected: 1",
    "%0d%0aX-Injected:%201",
    "A".repeat(100_000),
    "\ud800",
    "\udfff\ud800",
    "a\u0000b",
    "ｐｒｏｄｕｃｔｓ.csv",
    "іtems",
    "items\u200b",
    "\u202eitems",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection payload, meant literally
    "${process.env.PGPASSWORD}",
    "{{7*7}}",
    "%s%s%s%n",
    "__proto__",
  ];
}

/** Operator objects where a value is expected: none may reach a query as an operator. */
const operatorPayloads: unknown[] = [{ $gt: "" }, { $where: "sleep(1000)" }, { $ne: null }, ["$where"]];

/** Ways out of DATA_DIR; the first is the only one inside it. */
const filePaths = (root: string) => [
  "../secret.csv",
  "../../etc/passwd",
  "samples/../../secret.csv",
  "..\\secret.csv",
  path.join(root, "secret.csv"),
  "/etc/passwd",
  "samples/link.csv",
  "escape/secret.csv",
  "samples/%2e%2e/%2e%2e/secret.csv",
  "samples\u0000/../../secret.csv",
];

describe("an injection corpus in every name, filter, path and user field, on the real services", {
  timeout: 240_000,
}, () => {
  let fixture: FuzzFixture;
  let secrets: string[];
  const failures = (answers: { request: GeneratedRequest; problems: string[]; status: number }[]) =>
    answers
      .filter((answer) => answer.problems.length > 0)
      .map(
        (answer) =>
          `${answer.request.label} (${answer.request.method} ${answer.request.url.slice(0, 120)} → ${answer.status}): ${answer.problems.join("; ")}`,
      );

  beforeAll(async () => {
    fixture = await createFuzzFixture("inject", { withApiKeys: true });
    // /etc/passwd's first line, should a path ever escape to it.
    secrets = [process.cwd(), fixture.dataDir, testServices.postgresUrl, "postgresql://", "mongodb://", "root:x:0:0"];
    await seedFuzzFixture(fixture);
  }, 180_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it("finds every name, filter, path and user field in the document", () => {
    const labels = new Set(endpoints.flatMap((entry) => entry.targets.map((target) => target.label)));
    for (const expected of [
      "body.source",
      "body.table_or_collection",
      "body.text_fields[0]",
      "body.columns_or_fields[0]",
      "body.filters[0].column",
      "body.filters[0].value",
      "body.watermark_column",
      "body.file_path",
      "body.user_name",
      "body.provider",
      "a key of body.filters",
      "body.filters.source",
      "path source",
      "path user_name",
      "path batch_id",
      "query table",
      "query file_path",
    ]) {
      expect(labels, expected).toContain(expected);
    }
  });

  for (const { endpoint, targets } of endpoints) {
    const takesSource = targets.some((target) => target.path.at(-1) === "source" || target.path[0] === "source");
    it(`${endpoint.method} ${endpoint.path}: no 5xx, envelope on errors, nothing leaked, in bounded time`, async () => {
      // Fields naming a table or column mean something else for each kind of source: try them all.
      const scenarios = takesSource ? fixture.scenarios : fixture.scenarios.slice(0, 1);
      const payloads = [...textCorpus(fixture.root), ...operatorPayloads];
      const examples = [];
      const requests: GeneratedRequest[] = [];
      for (const hints of scenarios) {
        const schemas = new SchemaArbitraries(fixture.document, hints);
        examples.push(exampleRequest(schemas, endpoint));
        for (const target of targets) {
          for (const payload of payloads) requests.push(injectedRequest(schemas, target, payload));
        }
      }
      // Each payload replaces one part of a valid request, so it meets the code behind the gate.
      const exampleAnswers = await Promise.all(examples.map((request) => send(fixture.app, request)));
      const reached = exampleAnswers.filter(
        (answer) => answer.status < 300 || fixture.unreachable.includes(errorOf(answer)?.component ?? ""),
      );
      expect(
        reached.length,
        exampleAnswers.map((answer) => `${answer.status} ${answer.text.slice(0, 100)}`).join("\n"),
      ).toBeGreaterThan(0);
      const answers = await mapLimit(requests, 4, async (request) => {
        const answer = await send(fixture.app, request);
        return {
          request,
          status: answer.status,
          problems: problemsWith(answer, { canary: fixture.canary, secrets, unreachable: fixture.unreachable }),
        };
      });
      expect(failures(answers)).toEqual([]);
    });
  }

  it("reads no file outside DATA_DIR, by any path, while files inside it are read", async () => {
    expect(await readFile(path.join(fixture.root, "secret.csv"), "utf8")).toContain(fixture.canary);
    const { csv } = fixture.sources;
    const attempts = (file: string): GeneratedRequest[] => [
      { method: "POST", url: "/validate-csv", headers: json, body: JSON.stringify({ file_path: file }), ...plain },
      { method: "GET", url: `/csv-sample?file_path=${encodeURIComponent(file)}`, headers: {}, ...plain },
      // Undecoded once more by the server: `..%2f` must not turn into `../` on the way.
      { method: "GET", url: `/csv-sample?file_path=${file.replaceAll("/", "%252f")}`, headers: {}, ...plain },
      {
        method: "POST",
        url: "/schema",
        headers: json,
        body: JSON.stringify({ source: csv, table_or_collection: file }),
        ...plain,
      },
      {
        method: "POST",
        url: "/ingest-data",
        headers: json,
        body: JSON.stringify({ source: csv, table_or_collection: file, text_fields: ["id"] }),
        ...plain,
      },
    ];
    const inside = await send(fixture.app, attempts("samples/products.csv")[0] as GeneratedRequest);
    expect(inside.status).toBe(200);
    const answers = [];
    for (const file of filePaths(fixture.root)) {
      for (const request of attempts(file)) {
        const answer = await send(fixture.app, request);
        const problems = problemsWith(answer, { canary: fixture.canary, secrets, unreachable: fixture.unreachable });
        if (answer.status < 400) problems.push("a path outside DATA_DIR was accepted");
        answers.push({ request: { ...request, label: file }, status: answer.status, problems });
      }
    }
    expect(failures(answers)).toEqual([]);
  });

  it("serves none of the web page's neighbours through its file route", async () => {
    const answers = [];
    for (const name of [
      "..%2f..%2fpackage.json",
      "%2e%2e%2fweb-app.ts",
      "..%5c..%5cpackage.json",
      "index.html%00.js",
    ]) {
      const request = { method: "GET", url: `/app/${name}`, headers: {}, label: name, mustRefuse: true };
      const answer = await send(fixture.app, request);
      const problems = problemsWith(answer, {
        canary: fixture.canary,
        secrets: [...secrets, "devDependencies", "import "],
      });
      if (answer.status !== 404) problems.push(`expected 404, got ${answer.status}`);
      answers.push({ request, status: answer.status, problems });
    }
    expect(failures(answers)).toEqual([]);
  });

  it("answers bodies that are not UTF-8, or too large, with a 4xx in the envelope", async () => {
    const bodies: [string, Uint8Array | string][] = [
      ["bytes that are not UTF-8", new Uint8Array([0xff, 0xfe, 0xfd, 0x80, 0xc0, 0xaf])],
      // An overlong "/" (0xC0 0xAF) inside a JSON string: decoders that accept it turn it into a path separator.
      [
        "an overlong '/' inside a string",
        utf8Json('{"file_path": "samples', [0xc0, 0xaf], "..", [0xc0, 0xaf], 'secret.csv"}'),
      ],
      [
        "a broken sequence inside a name",
        utf8Json('{"source": "', [0xc3, 0x28], '", "user_name": "', [0xed, 0xa0, 0x80], '"}'),
      ],
      ["two megabytes", JSON.stringify({ query: "x".repeat(2_000_000), message: "x", user_name: "x" })],
    ];
    const answers = [];
    for (const { endpoint } of endpoints.filter((entry) => entry.endpoint.operation.requestBody)) {
      for (const [label, body] of bodies) {
        const url = endpoint.path.replace(/\{\w+\}/g, fixture.sources.postgres);
        const request = { method: endpoint.method, url, headers: json, body, label, mustRefuse: true };
        const answer = await send(fixture.app, request);
        const problems = problemsWith(answer, { canary: fixture.canary, secrets, unreachable: fixture.unreachable });
        if (label !== "a broken sequence inside a name" && answer.status < 400) {
          problems.push(`expected a 4xx, got ${answer.status}`);
        }
        answers.push({
          request: { ...request, label: `${endpoint.method} ${endpoint.path}: ${label}` },
          status: answer.status,
          problems,
        });
      }
    }
    expect(failures(answers)).toEqual([]);
  });

  it("never turns CR/LF in a path, query or header into a response header, on a real socket", async () => {
    const server = serve({ fetch: fixture.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    try {
      const injected = "%0D%0AX-Injected:%201%0D%0ASet-Cookie:%20a=b";
      const heads = [
        `GET /chat/history/ada${injected} HTTP/1.1`,
        `DELETE /chat/history/ada${injected} HTTP/1.1`,
        `GET /csv-sample?file_path=samples/products.csv${injected} HTTP/1.1`,
        `GET /sync/${fixture.sources.postgres}${injected}?table=items HTTP/1.1`,
        `GET /app/index.html${injected} HTTP/1.1`,
        `GET /app/${injected} HTTP/1.1`,
        `GET /${injected} HTTP/1.1\r\nAccept: text/html`,
        "GET /health HTTP/1.1\r\nX-Request-Id: <script>alert(1)</script>",
        "GET /health HTTP/1.1\r\nX-Request-Id: abc%0D%0AX-Injected: 1",
      ];
      for (const head of heads) {
        const response = await rawExchange(port, `${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        const [statusLine = "", ...headerLines] = response.split("\r\n\r\n")[0]?.split("\r\n") ?? [];
        expect(statusLine, head).toMatch(/^HTTP\/1\.1 [1-4]\d\d /);
        const names = headerLines.map((line) => line.split(":")[0]?.toLowerCase());
        expect(names, head).not.toContain("x-injected");
        expect(names, head).not.toContain("set-cookie");
        const requestId = headerLines.find((line) => line.toLowerCase().startsWith("x-request-id:"));
        // The heads that send an id reach /health, which always answers one: there it must be present and clean;
        // elsewhere (a request line Node refuses gets no app answer) an id, when there is one, is clean too.
        const sentAnId = head.includes("X-Request-Id");
        const clean = requestId === undefined ? !sentAnId : /^x-request-id: [\w=-]{1,255}$/i.test(requestId);
        expect(clean, `${head} → ${requestId}`).toBe(true);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("leaves the PostgreSQL table and the MongoDB collection as they were", async () => {
    const { rows } = await fixture.postgres.admin.query(
      `SELECT id, name FROM ${fixture.postgres.schema}.items ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 1, name: "Trailblazer Backpack" },
      { id: 2, name: "Aurora Desk Lamp" },
      { id: 3, name: "Summit Tent" },
    ]);
    const collection = fixture.mongo.client.db(fixture.mongo.database).collection(fixture.mongo.collection);
    expect(await collection.countDocuments()).toBe(3);
    // And the service still reads and answers from them (syncs with injected filters emptied the store).
    const ingest = await fixture.app.request("/ingest-data", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ source: fixture.sources.postgres, table_or_collection: "items", text_fields: ["name"] }),
    });
    expect((await readJson(ingest)).documents).toBe(3);
    const search = await fixture.app.request("/search", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ query: "waterproof backpack", filters: { source: fixture.sources.postgres } }),
    });
    expect((await readJson(search)).results[0]?.content).toContain("Trailblazer Backpack");
  });
});

const json = { "content-type": "application/json" };
const plain = { label: "", mustRefuse: true };

/** JSON text with raw bytes spliced in, as a client with a broken encoder would send. */
function utf8Json(...parts: (string | number[])[]): Uint8Array {
  const encoder = new TextEncoder();
  return new Uint8Array(parts.flatMap((part) => (typeof part === "string" ? [...encoder.encode(part)] : part)));
}

/** Sends raw bytes over TCP (no client library to clean them) and returns the raw response. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // write, not end: a half-closed socket lets the server drop a response still being computed.
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${request.split("\r\n")[0]}`)));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
  });
}

/** `work` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<Item, Result>(
  items: readonly Item[],
  limit: number,
  work: (item: Item) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as Item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
