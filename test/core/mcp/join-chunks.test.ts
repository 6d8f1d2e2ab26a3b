import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { joinChunks } from "../../../core/mcp/join-chunks.js";
import { type ChunkOptions, chunkText } from "../../../core/sources/index.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A stand-in tokenizer whose counts add up word by word, as the chunker assumes of BERT's: a token per 3 characters. */
const countTokens = async (texts: readonly string[]) =>
  texts.map((text) => (text.match(/\S+/g) ?? []).reduce((total, word) => total + Math.ceil(word.length / 3), 0));

const chunked = (text: string, options: ChunkOptions) => chunkText(text, countTokens, options);

/** One token each, from a small vocabulary, so the same words often meet on both sides of a seam. */
const shortWords = fc.constantFrom(...Array.from({ length: 12 }, (_, index) => `w${index}`));
/** 14 to 54 tokens: longer than the overlap, or than the whole window (then cut by characters). */
const longWords = fc.string({ unit: fc.constantFrom("x", "y", "z"), minLength: 40, maxLength: 160 });
const textOf = (words: fc.Arbitrary<string>) =>
  fc
    .array(fc.tuple(words, fc.constantFrom(" ", " ", " ", "\n", "\n\n")), {
      minLength: 1,
      maxLength: 200,
      size: "large",
    })
    .map((pairs) => pairs.flat().join("").trim());

describe("get_row's text from a long row's chunks (joinChunks)", () => {
  it("gives back exactly the row's text, each word once, when consecutive chunks share words", async () => {
    const overlapping = fc
      .integer({ min: 8, max: 40 })
      .chain((maxTokens) =>
        fc.record({ maxTokens: fc.constant(maxTokens), overlapTokens: fc.integer({ min: 1, max: maxTokens }) }),
      );
    let split = 0;
    await fc.assert(
      fc.asyncProperty(textOf(shortWords), overlapping, async (text, options) => {
        const pieces = await chunked(text, options);
        if (pieces.length > 1) split++;
        expect(joinChunks(pieces, sha256(text))).toBe(text);
      }),
      { numRuns: 400 },
    );
    expect(split).toBeGreaterThan(200);
  });

  it("loses no word whatever the window, overlap and long words: the exact text, or the chunks as stored", async () => {
    const words = fc.oneof({ weight: 6, arbitrary: shortWords }, { weight: 1, arbitrary: longWords });
    const any = fc.record({
      maxTokens: fc.integer({ min: 8, max: 64 }),
      overlapTokens: fc.integer({ min: 0, max: 16 }),
    });
    await fc.assert(
      fc.asyncProperty(textOf(words), any, async (text, options) => {
        const pieces = await chunked(text, options);
        expect([text, pieces.join("\n")]).toContain(joinChunks(pieces, sha256(text)));
      }),
      { numRuns: 300 },
    );
  });

  it("puts back the whitespace lost where a chunk shares no word with the one before", async () => {
    // A word longer than the window, cut by characters into pieces: no seam around or inside it shares a word.
    const long = "xyz".repeat(40);
    const text = `title: Blob\nbody: ${long}\nends here`;
    const pieces = await chunked(text, { maxTokens: 16, overlapTokens: 4 });
    // Before it, the chunker repeats the overlap alone until one word is left (chunks within the one before).
    const before = ["title: Blob\nbody:", "Blob\nbody:", "body:"];
    expect(pieces).toEqual([...before, ...(long.match(/.{1,14}/g) ?? []), "ends here"]);
    expect(joinChunks(pieces, sha256(text))).toBe(text);
  });

  it("finds the right seams in text that repeats itself across them", async () => {
    const text = Array.from({ length: 60 }, (_, index) => (index % 3 === 0 ? "tick tock" : "tick")).join(" ");
    const pieces = await chunked(text, { maxTokens: 12, overlapTokens: 4 });
    expect(pieces.length).toBeGreaterThan(5);
    expect(joinChunks(pieces, sha256(text))).toBe(text);
  });

  it("returns the chunks as stored, one per line, when no reading has the stored hash", async () => {
    const text = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");
    const pieces = await chunked(text, { maxTokens: 12, overlapTokens: 4 });
    expect(pieces.length).toBeGreaterThan(2);
    // Chunks of two ingestions mixed, or a record without its hash: some words twice rather than any lost.
    expect(joinChunks(pieces, sha256(`${text} changed`))).toBe(pieces.join("\n"));
    expect(joinChunks(pieces, undefined)).toBe(pieces.join("\n"));
  });

  it("returns a single chunk as it is", () => {
    expect(joinChunks(["name: Summit Tent"], sha256("something else"))).toBe("name: Summit Tent");
  });
});
