import { createHash } from "node:crypto";

/** Readings of the whole text tried, and text hashed, before giving up on a row's seams. */
const maxReadings = 1_024;
const maxHashedCharacters = 32_000_000;

/**
 * A row's text from its chunks, each word once. The chunker (core/sources/chunking.ts) cuts between
 * words, trims the whitespace at the cut and starts each chunk with the previous one's last words
 * (CHUNK_OVERLAP_TOKENS of them), so each seam is read by finding that shared run of words. Nothing
 * records which reading is right: text that repeats itself near a seam allows several, and a seam
 * without shared words (no overlap, a word longer than it, or one cut by characters) lost its
 * whitespace. So whole readings are tried, those that take each seam's likeliest reading first, until
 * one's sha256 is the row's content_hash. When none is within the budget (many seams without shared
 * words; no hash; chunks of two ingestions mixed), the chunks as stored, one per line: some words
 * twice rather than any lost.
 * @example joinChunks(["a b c d", "c d e f"], sha256("a b c d e f")) // "a b c d e f"
 */
export function joinChunks(pieces: readonly string[], contentHash: string | undefined): string {
  const [head = "", ...rest] = pieces;
  const asStored = pieces.join("\n");
  if (rest.length === 0 || !contentHash) return asStored;
  const seams = rest.map((next, index) => seamReadings(pieces[index] ?? "", next));
  const choice = seams.map(() => 0);
  // The most the seams from each one on can stray, so a search that cannot spend its cost stops early.
  const slack = [0];
  for (const readings of [...seams].reverse()) slack.unshift((slack[0] ?? 0) + readings.length - 1);
  const length = pieces.reduce((total, piece) => total + piece.length, 0);
  const budget = Math.max(1, Math.min(maxReadings, Math.floor(maxHashedCharacters / length)));
  let tried = 0;
  // Every reading whose seams stray `cost` places in all from their likeliest, for cost 0, 1, 2, …
  const search = (seam: number, cost: number): string | undefined => {
    if (cost > (slack[seam] ?? 0)) return undefined;
    if (seam === seams.length) {
      tried++;
      const text = head + choice.map((index, at) => seams[at]?.[index] ?? "").join("");
      return createHash("sha256").update(text).digest("hex") === contentHash ? text : undefined;
    }
    const options = seams[seam]?.length ?? 0;
    for (let index = 0; index < options && index <= cost && tried < budget; index++) {
      choice[seam] = index;
      const found = search(seam + 1, cost - index);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (let cost = 0; cost <= (slack[0] ?? 0) && tried < budget; cost++) {
    const found = search(0, cost);
    if (found !== undefined) return found;
  }
  return asStored;
}

/**
 * What `next` adds after `previous`, likeliest first: `next` without each run of `previous`'s last words
 * it starts with (the longest first, as the chunker repeats as many words as the overlap allows), then
 * `next` whole after the whitespace the cut trimmed (none between two pieces of a word cut by characters).
 */
function seamReadings(previous: string, next: string): string[] {
  const readings: string[] = [];
  // From the second word: the chunker never repeats a chunk's first word, so each chunk moves on.
  for (let start = 1; start < previous.length; start++) {
    if (!/\s/.test(previous[start - 1] ?? "") || /\s/.test(previous[start] ?? "")) continue;
    const shared = previous.slice(start);
    const after = next[shared.length];
    if (next.startsWith(shared) && (after === undefined || /\s/.test(after))) readings.push(next.slice(shared.length));
  }
  const withinWord = !/\s/.test(previous) && !/\s/.test(next);
  const separators = withinWord ? ["", " ", "\n", "\n\n"] : [" ", "\n", "", "\n\n"];
  return [...readings, ...separators.map((separator) => separator + next)];
}
