import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { settingsTable } from "../core/config/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const settingsPage = readFileSync(new URL("../docs/settings.md", import.meta.url), "utf8");

/** A markdown table's cells, ignoring the column padding a formatter may add. */
const cells = (table: string) =>
  table
    .trim()
    .split("\n")
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^-+$/, "---"))
        .join("|"),
    );

describe("README and docs/settings.md", () => {
  it("docs/settings.md has the current settings table", () => {
    const embedded = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(settingsPage)?.[1];
    expect(cells(embedded ?? ""), "run npm run settings-table and paste it between the markers").toEqual(
      cells(settingsTable()),
    );
  });

  it("names the test command that .ci/run runs", () => {
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    expect(readme).toContain("npm test ");
    expect(ci.trim().split("\n").at(-1)).toBe("npm test");
  });
});
