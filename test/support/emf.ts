import { vi } from "vitest";

export interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
  [key: string]: unknown;
}

/** Captures the EMF objects written to stdout (where CloudWatch reads them); other output passes through. */
export function captureEmf(): { lines: EmfLine[]; restore(): void } {
  const lines: EmfLine[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (!text.startsWith('{"_aws"')) return write(chunk, ...rest);
    for (const line of text.trim().split("\n")) lines.push(JSON.parse(line));
    return true;
  }) as typeof process.stdout.write);
  return { lines, restore: () => spy.mockRestore() };
}
