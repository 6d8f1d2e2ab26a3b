import { vi } from "vitest";

/**
 * The rate limiter counts in fixed one-minute windows of Date.now(): pins the clock (only the clock;
 * timers stay real) 20 s into the next minute, so requests a test counts never straddle two windows.
 * Returns what gives the real clock back.
 * @example const restore = pinClockInsideMinute(); try { ... } finally { restore(); }
 */
export function pinClockInsideMinute(): () => void {
  const minute = Math.floor(Date.now() / 60_000) + 1;
  vi.useFakeTimers({ toFake: ["Date"], now: minute * 60_000 + 20_000 });
  return () => vi.useRealTimers();
}
