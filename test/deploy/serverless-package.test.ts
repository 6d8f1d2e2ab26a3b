import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../../core/context/index.js";
import { deadLetterTopic, ensureTopics, topics } from "../../core/messaging/index.js";
import { httpFunctions } from "../../functions/http/registry.js";
import { consumerFunctions } from "../../functions/local/workers.js";
import { seedProducts } from "../core/chat/chat-fixture.js";
import { createTestContext } from "../support/app-context.js";
import { readTopic } from "../support/kafka.js";
import { functionUrlEvent, httpApiEvent, mskEvent, readStreamedResponse } from "../support/lambda.js";
import { startOpenAiDouble } from "../support/llm-doubles/openai-double.js";
import { createPostgresFixture } from "../support/postgres-fixture.js";
import {
  bundleEnvironment,
  handlerEntry,
  layerDir,
  packageFunctions,
  serverlessFunctions,
} from "../support/serverless-package.js";
import { testServices, uniqueName } from "../support/services.js";
import { releaseRun } from "../support/test-run.js";

const run = promisify(execFile);
const MB = 1024 * 1024;
// Lambda's quotas: a zip uploaded directly, and a function's unzipped code plus all its layers.
const zippedLimit = 50 * MB;
const unzippedLimit = 250 * MB;

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
const config = { functions: await serverlessFunctions() };

async function folderSize(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** The route keys a function's OpenAPI document names, as API Gateway writes them. */
function routeKeys(app: (typeof httpFunctions)[number]["app"]): string[] {
  const document = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
  return Object.entries(document.paths ?? {}).flatMap(([route, operations]) =>
    Object.keys(operations ?? {}).map((method) => `${method.toUpperCase()} ${route}`),
  );
}

describe("serverless package (offline): every function bundled, routed, mapped and within Lambda's limits", {
  timeout: 600_000,
}, () => {
  let out: string;
  let template: { Resources: Record<string, Resource> };
  const resources = (type: string) =>
    Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
  const logicalId = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;

  beforeAll(async () => {
    out = await mkdtemp(path.join(tmpdir(), "cwd-package-"));
    await packageFunctions(path.join(out, "package"), "test");
    template = JSON.parse(
      await readFile(path.join(out, "package/cloudformation-template-update-stack.json"), "utf8"),
    ) as typeof template;
  }, 720_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("creates one Lambda per function in serverless.yml, with its handler and Node 20", () => {
    const functions = Object.fromEntries(resources("AWS::Lambda::Function"));
    for (const [name, definition] of Object.entries(config.functions)) {
      expect(functions[logicalId(name)]?.Properties, name).toMatchObject({
        Handler: definition.handler,
        Runtime: "nodejs20.x",
      });
    }
    expect(Object.keys(functions)).toHaveLength(Object.keys(config.functions).length);
  });

  it("deploys every HTTP function file, and routes every documented operation through the HTTP API", () => {
    const handlers = Object.values(config.functions).map((definition) => definition.handler);
    const routes = new Set(resources("AWS::ApiGatewayV2::Route").map(([, route]) => route.Properties.RouteKey));
    for (const { name, app } of httpFunctions) {
      expect(handlers, name).toContain(`functions/http/${name}.handler`);
      // The chat stream is served by its function URL instead: API gateways buffer responses.
      if (name === "chat-stream") continue;
      for (const key of routeKeys(app)) expect(routes, `${name}: ${key}`).toContain(key);
    }
  });

  it("puts the chat stream on a function URL in RESPONSE_STREAM mode", () => {
    const urls = resources("AWS::Lambda::Url");
    const stream = urls.find(([, url]) =>
      JSON.stringify(url.Properties.TargetFunctionArn).includes(logicalId("chatStream")),
    );
    expect(stream?.[1].Properties).toMatchObject({ InvokeMode: "RESPONSE_STREAM", AuthType: "NONE" });
    expect(config.functions.chatStream?.handler).toBe("functions/http/chat-stream.handler");
    // The page is told where that URL is, so it streams from there.
    const [, page] = resources("AWS::Lambda::Function").find(([id]) => id === logicalId("webApp")) ?? [];
    const environment = page?.Properties.Environment as { Variables: Record<string, unknown> } | undefined;
    expect(environment?.Variables.CHAT_STREAM_URL).toEqual({
      "Fn::GetAtt": [stream?.[0], "FunctionUrl"],
    });
  });

  it("maps every Kafka consumer to its topic with a batch size, starting position and consumer group", () => {
    const mappings = resources("AWS::Lambda::EventSourceMapping").map(([, mapping]) => mapping.Properties);
    for (const [name, consumer] of Object.entries(consumerFunctions)) {
      const [functionName] =
        Object.entries(config.functions).find(
          ([, definition]) => definition.handler === `functions/events/${name}.handler`,
        ) ?? [];
      expect(functionName, name).toBeDefined();
      const mapping = mappings.find((properties) =>
        JSON.stringify(properties.FunctionName).includes(logicalId(functionName ?? "")),
      );
      const event = config.functions[functionName ?? ""]?.events?.find((candidate) => candidate.kafka)?.kafka;
      expect(mapping, name).toMatchObject({
        Topics: [consumer.topic],
        BatchSize: event?.batchSize,
        StartingPosition: "TRIM_HORIZON",
        SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: [expect.any(String)] } },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `cwd-${name}` },
      });
      expect(mapping?.SourceAccessConfigurations).toEqual(
        expect.arrayContaining([expect.objectContaining({ Type: "SASL_SCRAM_512_AUTH" })]),
      );
    }
    expect(Object.values(consumerFunctions).map((consumer) => consumer.topic)).toEqual(
      expect.arrayContaining([topics.dataIngestion, topics.embeddingRequests, topics.batchStatus]),
    );
  });

  it("keeps every bundle within Lambda's size limits, the embedding layer included", async () => {
    const layerBytes = await folderSize(layerDir);
    const sizes: Record<string, { zipped: number; unzipped: number }> = {};
    for (const [name, definition] of Object.entries(config.functions)) {
      const zip = path.join(out, "package", `${name}.zip`);
      const zipped = (await stat(zip)).size;
      const listing = (await run("unzip", ["-Zt", zip])).stdout;
      const unzipped = Number(/(\d+) bytes uncompressed/.exec(listing)?.[1]);
      sizes[name] = { zipped, unzipped };
      expect(zipped, name).toBeLessThan(zippedLimit);
      expect(unzipped + (definition.layers?.length ? layerBytes : 0), name).toBeLessThan(unzippedLimit);
    }
    console.info(
      `bundles (MB zipped/unzipped): ${Object.entries(sizes)
        .map(([name, size]) => `${name} ${(size.zipped / MB).toFixed(1)}/${(size.unzipped / MB).toFixed(1)}`)
        .join(", ")}; layer ${(layerBytes / MB).toFixed(0)} MB`,
    );
  });

  describe("the bundles run on their own, outside the repository", () => {
    const source = uniqueName("bundle").replace(/-/g, "_");
    // Private names, so a bundle's writes (dead letters, history, status) never touch what others use.
    const prefix = `${source}.`;
    let context: AppContext;
    let sandbox: string;

    beforeAll(async () => {
      context = createTestContext({ KAFKA_TOPIC_PREFIX: prefix });
      await seedProducts(context, source);
      if (context.kafka) await ensureTopics(context.kafka, 1, prefix);
      // Outside the repository, so no node_modules can be found by walking up.
      sandbox = await mkdtemp(path.join(tmpdir(), "cwd-lambda-"));
      await writeFile(
        path.join(sandbox, "invoke.mjs"),
        `const [file, event, exported = "handler"] = process.argv.slice(2);
// Response streaming: a stand-in for the runtime's awslambda global (test/support/lambda.ts has the same).
if (process.env.LAMBDA_STREAMING === "1") {
  const { Writable } = await import("node:stream");
  globalThis.awslambda = {
    streamifyResponse: (fn) => async (event, context) => {
      const chunks = [];
      const sink = new Writable({ write(chunk, _encoding, callback) { chunks.push(Buffer.from(chunk)); callback(); } });
      sink.setContentType = () => {};
      await fn(event, sink, context);
      return { streamed: Buffer.concat(chunks).toString("base64") };
    },
    HttpResponseStream: {
      from(stream, metadata) {
        stream.write(Buffer.concat([Buffer.from(JSON.stringify(metadata)), Buffer.alloc(8)]));
        return stream;
      },
    },
  };
}
const handler = (await import(file))[exported];
const result = await handler(JSON.parse(event), { awsRequestId: "bundle-test", functionName: "bundle" });
// On a line of its own: a function's log lines go to stdout too.
process.stdout.write("\\n" + "RESULT " + JSON.stringify(result) + "\\n");
process.exit(0);`,
      );
    }, 120_000);

    afterAll(async () => {
      await releaseRun(context, { sources: [source], topicPrefix: prefix });
      if (sandbox) await rm(sandbox, { recursive: true, force: true });
    });

    const invoke = async (
      name: string,
      handler: string,
      event: unknown,
      withLayer: boolean,
      streaming = false,
      settings: Record<string, string> = {},
    ) => {
      const folder = path.join(sandbox, name);
      await run("unzip", ["-q", "-o", path.join(out, "package", `${name}.zip`), "-d", folder]);
      const env = {
        ...bundleEnvironment({
          topicPrefix: prefix,
          redisPrefix: `${source}:`,
          streaming,
          withLayer,
          scratch: sandbox,
        }),
        ...settings,
      };
      const { file, exported } = handlerEntry(folder, handler);
      const { stdout } = await run("node", [path.join(sandbox, "invoke.mjs"), file, JSON.stringify(event), exported], {
        cwd: folder,
        env,
        timeout: 120_000,
        maxBuffer: 16 * MB,
      });
      const line = stdout.split("\n").find((candidate) => candidate.startsWith("RESULT "));
      if (!line) throw new Error(`${name} printed no result: ${stdout.slice(-500)}`);
      const result = JSON.parse(line.slice("RESULT ".length)) as { streamed?: string };
      if (result.streamed) return readStreamedResponse({ raw: Buffer.from(result.streamed, "base64"), times: [] });
      return result as { statusCode: number; body: string; headers: Record<string, string> };
    };

    it("search: embeds the query with the layer's ONNX runtime and model, and finds the row in Chroma", async () => {
      const result = await invoke(
        "search",
        "functions/http/search.handler",
        httpApiEvent({
          method: "POST",
          path: "/search",
          body: JSON.stringify({ query: "a bag for rainy hikes", max_results: 1, filters: { source } }),
        }),
        true,
      );
      expect(result.statusCode, result.body).toBe(200);
      expect(JSON.parse(result.body).results[0].id).toBe(`${source}:products:backpack`);
    });

    it("service info: a function that never embeds loads and answers without the layer", async () => {
      const result = await invoke(
        "serviceInfo",
        "functions/http/service-info.handler",
        httpApiEvent({ method: "GET", path: "/" }),
        false,
      );
      expect(result.statusCode, result.body).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ service: "chat-with-your-data" });
    });

    it("web app: the page's static files travel in its package", async () => {
      const result = await invoke(
        "webApp",
        "functions/http/web-app.handler",
        httpApiEvent({ method: "GET", path: "/app" }),
        false,
      );
      expect(result.statusCode, result.body).toBe(200);
      expect(result.headers["content-type"]).toContain("text/html");
      expect(result.body).toContain("<html");
    });

    it("the functions that offer the sql tool carry PostgreSQL's parser beside their bundle; functions that never parse SQL do not", async () => {
      const offersSql = ["chat", "chatStream", "openai", "openaiStream", "mcp"];
      // history and query import modules beside the parser; the bundler drops the parser, so must the zip.
      const neverParse = ["serviceInfo", "search", "docs", "history", "query"];
      for (const [name, definition] of Object.entries(config.functions)) {
        const listing = (await run("unzip", ["-Z1", path.join(out, "package", `${name}.zip`)])).stdout.split("\n");
        const bundle = definition.handler.slice(0, definition.handler.lastIndexOf("."));
        if (offersSql.includes(name)) expect(listing, name).toContain(`${bundle}.libpg-query.wasm`);
        if (neverParse.includes(name)) {
          expect(
            listing.filter((file) => file.endsWith(".wasm")),
            name,
          ).toEqual([]);
        }
      }
    });

    it("chat: the sql tool parses the model's SELECT with the bundled parser, runs it, and refuses a DROP", async () => {
      const double = await startOpenAiDouble();
      const database = await createPostgresFixture(`
        CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10, 2));
        INSERT INTO products VALUES (1, 'Orbit Standing Desk Max', 612.00), (2, 'Solace Standing Desk Mini', 313.99);`);
      try {
        const shop = uniqueName("bundleshop").replace(/-/g, "_");
        const cheapest = "SELECT name, price FROM products WHERE name ILIKE '%standing desk%' ORDER BY price LIMIT 1";
        double.script({
          turns: [
            {
              calls: [
                { name: "sql", arguments: { source: shop, sql: cheapest } },
                { name: "sql", arguments: { source: shop, sql: "DROP TABLE products" } },
              ],
            },
            { text: "The Solace Standing Desk Mini costs 313.99 [Q1]." },
          ],
        });
        const result = await invoke(
          "chat",
          "functions/http/chat.handler",
          httpApiEvent({
            method: "POST",
            path: "/chat",
            body: JSON.stringify({ user_name: "ada", message: "cheapest standing desk?", filters: { source: shop } }),
          }),
          true,
          false,
          {
            LLM_PROVIDER: "openai",
            OPENAI_BASE_URL: double.baseUrl,
            LLM_TIMEOUT_MS: "20000",
            SOURCES: JSON.stringify([
              {
                name: shop,
                kind: "postgresql",
                url: testServices.postgresUrl,
                schema: database.schema,
                query_tables: ["products"],
                allow_sql: true,
              },
            ]),
          },
        );
        expect(result.statusCode, result.body).toBe(200);
        const body = JSON.parse(result.body);
        expect(body.queries).toEqual([
          expect.objectContaining({
            // The table qualified by its byte offset in the parse tree: only the parser gives that.
            spec: { source: shop, sql: cheapest.replace("FROM products", `FROM "${database.schema}".products`) },
            rows: [{ name: "Solace Standing Desk Mini", price: "313.99" }],
            execution: "postgresql_sql",
          }),
        ]);
        // The statement's kind, in the parse tree's own name for it.
        expect(body.tool_calls[1].error.message).toBe("only SELECT is allowed, not DropStmt");
        const count = await database.admin.query(`SELECT count(*)::int AS n FROM ${database.schema}.products`);
        expect(count.rows[0].n).toBe(2);
      } finally {
        await database.drop();
        await double.close();
      }
    });

    it("every other bundle loads on its own and answers a Lambda event of its kind: HTTP, stream, Kafka, schedule", async () => {
      const covered = ["search", "serviceInfo", "webApp"];
      const answered: string[] = [];
      for (const [name, definition] of Object.entries(config.functions)) {
        if (covered.includes(name)) continue;
        const withLayer = Boolean(definition.layers?.length);
        const route = definition.events?.find((event) => event.httpApi)?.httpApi;
        const consumer = /^functions\/events\/(.+)\.handler$/.exec(definition.handler)?.[1] ?? "";
        if (definition.url) {
          // The streaming functions, through their function URLs in RESPONSE_STREAM mode: the chat stream,
          // and the OpenAI-compatible completions streamed as chunks.
          const openAi = definition.handler.startsWith("functions/http/openai.");
          const body = openAi
            ? JSON.stringify({
                // The bundle runs with the default sources; `data:all` asks them all.
                model: "data:all",
                stream: true,
                messages: [{ role: "user", content: "a bag for rainy hikes" }],
              })
            : JSON.stringify({ user_name: "ada", message: "a bag for rainy hikes", filters: { source } });
          const path = openAi ? "/v1/chat/completions" : "/chat/stream";
          const event = functionUrlEvent({ method: "POST", path, body });
          const result = await invoke(name, definition.handler, event, withLayer, true);
          expect(result.statusCode, `${name}: ${result.body}`).toBe(200);
          expect(result.body, name).toContain(openAi ? '"object":"chat.completion.chunk"' : "event: sources");
          expect(result.body.trimEnd().endsWith("data: [DONE]"), name).toBe(true);
        } else if (route) {
          // A body the schema refuses: the bundle's validation and error envelope answer, and nothing is changed.
          const path = route.path.replace(/\{\w+\}/g, "bundle-probe");
          const event = httpApiEvent({
            method: route.method.toUpperCase(),
            path,
            route: route.path,
            ...(route.method.toUpperCase() === "POST" ? { body: JSON.stringify({ unexpected_field: 1 }) } : {}),
          });
          const result = await invoke(name, definition.handler, event, withLayer);
          expect(result.statusCode, `${name} ${route.method} ${path}: ${result.body}`).toBeLessThan(500);
          if (result.statusCode >= 400) expect(JSON.parse(result.body).error.code, name).toBeTruthy();
        } else if (consumer in consumerFunctions) {
          // A record that is not JSON: handled, and dead-lettered to the consumer's own .dlq topic.
          const topic = `${prefix}${consumerFunctions[consumer as keyof typeof consumerFunctions].topic}`;
          const offset = 700 + answered.length;
          const event = mskEvent(topic, [{ partition: 0, offset, key: "poison", value: Buffer.from([0xff, 0xfe]) }]);
          const result = (await invoke(name, definition.handler, event, withLayer)) as unknown as {
            outcomes: { offset: number; status: string }[];
          };
          expect(result.outcomes, name).toMatchObject([{ offset, status: "dead-lettered" }]);
          if (!context.kafka) throw new Error("tests run with Kafka");
          const letters = await readTopic(context.kafka, deadLetterTopic(topic), 1);
          expect(
            letters.some((letter) => JSON.parse(letter).offset === String(offset)),
            name,
          ).toBe(true);
        } else {
          // The schedule: an EventBridge event; nothing is recorded under this run's prefix, so nothing to sync.
          const event = {
            version: "0",
            id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            source: "aws.events",
            account: "123456789012",
            time: "2026-11-24T02:00:00Z",
            region: "eu-west-1",
            resources: ["arn:aws:events:eu-west-1:123456789012:rule/sync"],
            detail: {},
          };
          const result = (await invoke(name, definition.handler, event, withLayer)) as unknown as {
            outcomes: unknown[];
          };
          expect(result.outcomes, name).toEqual([]);
        }
        answered.push(name);
      }
      expect(answered.length + covered.length).toBe(Object.keys(config.functions).length);
    });
  });
});
