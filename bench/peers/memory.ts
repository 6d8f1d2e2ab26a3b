import { readFileSync, writeFileSync } from "node:fs";

/** This process's peak resident memory (VmHWM) in bytes, as the kernel counts it. */
export function peakRssBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return Number(match?.[1] ?? Number.NaN) * 1024;
}

/** Resets VmHWM to the current RSS (`5` to clear_refs), so the next reading is the peak of what follows. */
export function resetPeakRss(): void {
  writeFileSync("/proc/self/clear_refs", "5");
}
