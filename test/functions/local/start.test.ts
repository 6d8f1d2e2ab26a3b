import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson } from "../../support/http.js";
import { type PrivateService, privateService } from "../../support/private-service.js";
import { freePort } from "../../support/processes.js";
import { scratchDatabase } from "../../support/scratch-database.js";
import { testServices, uniqueName } from "../../support/services.js";
import { type StartedServer, startScript } from "./start-fixture.js";

describe("npm start: the main job on embedded defaults", { timeout: 300_000 }, () => {
  const prefix = `${uniqueName("start")}:`;
  let chroma: PrivateService;
  // Its own keyword database: npm start fills it with the samples, which other tests must not meet.
  let keywords: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
  let server: StartedServer;
  let base: string;

  beforeAll(async () => {
    // An empty Chroma of its own, so the samples really go in on this start.
    chroma = await privateService("chroma");
    await chroma.up();
    keywords = await scratchDatabase("start");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The services are up already (npm test started them); the script must not need them started again.
    server = await startScript({
      ...process.env,
      START_SERVICES: "0",
      HOST: "127.0.0.1",
      PORT: String(port),
      CHROMA_URL: chroma.url,
      REDIS_URL: testServices.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      SEARCH_DATABASE_URL: keywords.url,
      KAFKA_BROKERS: "",
      LLM_PROVIDER: "extractive",
    });
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await chroma?.destroy();
    await keywords?.drop();
  }, 60_000);

  it("ingests the bundled samples on first start and prints an answer from them with its sources", () => {
    expect(server.output).toContain("sample data ingested");
    expect(server.output).toContain("Asked the sample data: Which hiking backpacks come with a rain cover?");
    const answer = /Answer \(extractive\): ([\s\S]*?)\nSources:/.exec(server.output)?.[1] ?? "";
    expect(answer).toMatch(/rain cover/i);
    expect(answer).toMatch(/\[1\]/);
    // Hybrid retrieval's fused score: the best source scores up to 1.00.
    expect(server.output).toMatch(/\[1\] \S.*Backpack.* \(score [01]\.\d\d\)/);
    expect(server.output).not.toMatch(/"level":(50|60)/);
  });

  it("then serves the API on the samples: a search finds a backpack by a paraphrase", async () => {
    const response = await fetch(`${base}/search`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: "rucksack that keeps the rain off",
        max_results: 3,
        filters: { source: "samples" },
      }),
    });
    expect(response.status).toBe(200);
    const body = await readJson(response);
    expect(body.results.map((result: { content: string }) => result.content).join("\n")).toMatch(/Backpack/);
  });
});
