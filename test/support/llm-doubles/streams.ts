import type { LlmStreamPart } from "../../../core/llm/index.js";

/** Reads a provider stream to its end; `text` is the deltas joined. */
export async function collectStream(
  stream: AsyncIterable<LlmStreamPart>,
): Promise<{ text: string; deltas: string[]; parts: LlmStreamPart[] }> {
  const parts: LlmStreamPart[] = [];
  for await (const part of stream) parts.push(part);
  const deltas = parts.flatMap((part) => (part.type === "text-delta" ? [part.text] : []));
  return { text: deltas.join(""), deltas, parts };
}

/** What `work` rejected with; fails the test when it resolves. */
export async function rejectionOf(work: Promise<unknown> | (() => Promise<unknown>)): Promise<unknown> {
  try {
    await (typeof work === "function" ? work() : work);
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but it resolved");
}

/**
 * Reads a stream and aborts after the first text delta; returns the deltas seen and
 * what the iteration rejected with.
 */
export async function abortAfterFirstDelta(
  open: (signal: AbortSignal) => AsyncIterable<LlmStreamPart>,
): Promise<{ deltas: string[]; error: unknown }> {
  const controller = new AbortController();
  const deltas: string[] = [];
  const error = await rejectionOf(async () => {
    for await (const part of open(controller.signal)) {
      if (part.type !== "text-delta") continue;
      deltas.push(part.text);
      controller.abort();
    }
  });
  return { deltas, error };
}
