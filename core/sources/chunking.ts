/** Counts model tokens (without [CLS]/[SEP]) for each text. */
export type TokenCounter = (texts: readonly string[]) => Promise<number[]>;

export interface ChunkOptions {
  /** The model's window, [CLS] and [SEP] included (256 for all-MiniLM-L6-v2). */
  maxTokens: number;
  overlapTokens: number;
}

/** Tokens the model adds around every input. */
const specialTokens = 2;

/**
 * Splits text into pieces that each fit the model's window, so nothing is silently truncated.
 * Text that fits is returned whole. Longer text is packed word by word: BERT's tokenizer splits
 * on whitespace before word pieces, so per-word counts add up to the whole text's count.
 * Consecutive chunks share about `overlapTokens` tokens, so a sentence cut at a border is whole in one of them.
 */
export async function chunkText(text: string, countTokens: TokenCounter, options: ChunkOptions): Promise<string[]> {
  const budget = options.maxTokens - specialTokens;
  const [total = 0] = await countTokens([text]);
  if (total <= budget) return [text];

  const words = text.match(/\S+\s*/g) ?? [];
  const counts = await countTokens(words.map((word) => word.trim()));
  const chunks: string[] = [];
  let start = 0;
  while (start < words.length) {
    let end = start;
    let used = 0;
    while (end < words.length && used + (counts[end] ?? 0) <= budget) used += counts[end++] ?? 0;
    if (end === start) {
      // One "word" longer than the window (a URL, a hash): cut it by characters.
      chunks.push(...(await splitLongWord(words[start] ?? "", countTokens, budget)));
      start++;
      continue;
    }
    chunks.push(words.slice(start, end).join("").trim());
    if (end >= words.length) break;
    let back = end;
    let overlap = 0;
    while (back > start + 1 && overlap + (counts[back - 1] ?? 0) <= options.overlapTokens)
      overlap += counts[--back] ?? 0;
    start = back;
  }
  return chunks.filter(Boolean);
}

async function splitLongWord(word: string, countTokens: TokenCounter, budget: number): Promise<string[]> {
  const pieces: string[] = [];
  let rest = word.trim();
  while (rest) {
    let size = Math.min(rest.length, budget);
    // Shrink until it fits; a word piece is at least one character, so this ends.
    while (size > 1 && ((await countTokens([rest.slice(0, size)]))[0] ?? 0) > budget) size = Math.floor(size * 0.8);
    pieces.push(rest.slice(0, size));
    rest = rest.slice(size);
  }
  return pieces;
}
