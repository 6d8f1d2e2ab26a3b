import { afterAll, describe, expect, it } from "vitest";
import { TransformersEmbedder } from "../../../core/embeddings/index.js";
import { ExtractiveProvider, type LlmDocument, type LlmRequest } from "../../../core/llm/index.js";
import { collectStream, rejectionOf } from "../../support/llm-doubles/streams.js";

/** Rows as core/sources turns them into documents: "field: value" lines. */
const documents: LlmDocument[] = [
  {
    n: 1,
    content:
      "name: Trailblazer Backpack\ncategory: outdoor\nprice: 89.99\ndescription: A 30-litre hiking backpack with a rain cover and padded hip belt.",
  },
  {
    n: 2,
    content:
      "name: Barista Pro Espresso Machine\ncategory: kitchen\nprice: 349.00\ndescription: A 15-bar espresso machine with a steam wand for milk.",
  },
  {
    n: 3,
    content:
      "name: Aurora Desk Lamp\ncategory: home office\nprice: 42.50\ndescription: An LED desk lamp with adjustable colour temperature and a USB charging port.",
  },
];

/** The real embedder, with its work in flight visible: it cannot be interrupted, so the model is closed only after it. */
class TrackingEmbedder extends TransformersEmbedder {
  readonly inFlight = new Set<Promise<unknown>>();
  completed = 0;

  override embed(texts: readonly string[]): Promise<Float32Array[]> {
    const work = super.embed(texts);
    const settled: Promise<unknown> = work
      .then(
        () => {
          this.completed++;
        },
        () => undefined,
      )
      .finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
    return work;
  }

  override async close(): Promise<void> {
    await Promise.all(this.inFlight);
    await super.close();
  }
}

const asking = (question: string): LlmRequest => ({
  system: "Answer only from the supplied data.",
  messages: [{ role: "user", content: `Documents: …\n\nQuestion: ${question}` }],
  documents,
  question,
});

describe("ExtractiveProvider with the real embedder (all-MiniLM-L6-v2)", () => {
  const embedder = new TrackingEmbedder({
    model: "Xenova/all-MiniLM-L6-v2",
    modelDir: ".services/models",
    dtype: "fp32",
    batchSize: 32,
    allowRemote: false,
  });
  const provider = new ExtractiveProvider(embedder);
  afterAll(() => embedder.close());

  it("quotes the matching lines of the document asked about, citing its number", async () => {
    const { text, finishReason } = await provider.generate(asking("How much does the Trailblazer backpack cost?"));
    expect(finishReason).toBe("stop");
    const [heading, ...quoted] = text.split("\n");
    expect(heading).toBe("From the data (extracted, not generated):");
    expect(quoted.length).toBeGreaterThan(0);
    expect(quoted.length).toBeLessThanOrEqual(3);
    expect(text).toContain("- price: 89.99 [1]");
    for (const line of quoted) expect(line).toMatch(/\[1\]$/);
  });

  it("finds the lamp's USB port in its description", async () => {
    const { text } = await provider.generate(asking("Does the desk lamp have a USB port?"));
    expect(text.split("\n")[1]).toBe(
      "- description: An LED desk lamp with adjustable colour temperature and a USB charging port. [3]",
    );
    expect(text).not.toContain("[1]");
  });

  it("says plainly that the data does not contain an answer to an unrelated question", async () => {
    const { text } = await provider.generate(asking("Who won the football world cup in 1998?"));
    expect(text).toContain("does not contain an answer");
    expect(text).not.toMatch(/\[\d\]/);
  });

  it("says so too when there are no documents", async () => {
    const { text } = await provider.generate({ ...asking("What does the backpack cost?"), documents: [] });
    expect(text).toContain("does not contain an answer");
  });

  it("falls back to the last user message when no question is passed", async () => {
    const { text } = await provider.generate({
      system: "",
      messages: [{ role: "user", content: "Which product makes espresso?" }],
      documents,
    });
    expect(text).toContain("[2]");
    expect(text).toContain("Espresso Machine");
  });

  it("streams the same answer in a few deltas, then finish", async () => {
    const request = asking("How much does the Trailblazer backpack cost?");
    const { text, deltas, parts } = await collectStream(provider.stream(request));
    expect(text).toBe((await provider.generate(request)).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(parts.at(-1)).toEqual({ type: "finish", finishReason: "stop" });
  });

  it("honours an abort signal without waiting for the embedder", async () => {
    const completedBefore = embedder.completed;
    const controller = new AbortController();
    const pending = provider.generate(asking("How much does the Trailblazer backpack cost?"), {
      signal: controller.signal,
    });
    controller.abort();
    expect(await rejectionOf(pending)).toMatchObject({ name: "AbortError" });
    // Rejected at once: the embedding it started is still running (and its result will be dropped).
    expect(embedder.inFlight.size).toBe(1);
    expect(embedder.completed).toBe(completedBefore);
    expect(
      await rejectionOf(collectStream(provider.stream(asking("Price?"), { signal: AbortSignal.abort() }))),
    ).toMatchObject({
      name: "AbortError",
    });
  });
});
