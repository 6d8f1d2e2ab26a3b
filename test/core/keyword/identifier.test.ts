import { describe, expect, it } from "vitest";
import { isIdentifier } from "../../../core/keyword/index.js";

describe("which queries are one identifier", () => {
  it.each([
    "SKU-LM-4729",
    "RWF_APPEND",
    "EINVAL",
    "ECONNREFUSED",
    "pthread_spin_trylock",
    "tm_gmtoff",
    "--dry-run",
    "E07",
    "PAY-402",
    "v1.2.3",
    "a/b",
  ])("%s is", (query) => expect(isIdentifier(query)).toBe(true));
  it.each(["desk", "Backpack", "rain cover", "how long does delivery take", "ab", "x".repeat(101), " "])(
    "%j is not",
    (query) => expect(isIdentifier(query)).toBe(false),
  );
});
