import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/** The pages a newcomer reads: the README and every page under docs/. */
const pages = [
  "README.md",
  ...readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Top-level folders of the repository: a backticked `core/…` or `test/…` names a file in it. */
const repoFolders = ["core", "functions", "scripts", "test", "bench", "docs", "deploy", "layers", "data", ".ci"];

/** What runs write and git ignores (bench/results/…): named in the docs, absent from a fresh clone. */
const ignoredOutputs = read(".gitignore")
  .split("\n")
  .map((line) => line.trim().replace(/\*.*$/, ""))
  .filter((line) => line.includes("/") && !line.startsWith("#"));

/** npm's own commands a page may name; `npm test` and `npm start` also need their script. */
const npmBuiltins = new Set(["ci", "install", "exec", "test", "start"]);
const scripts = new Set(Object.keys(JSON.parse(read("package.json")).scripts as Record<string, string>));

/** Inline code spans and fenced blocks: where commands and paths are written. */
function codeOf(markdown: string): { spans: string[]; blocks: string[] } {
  const blocks = [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((match) => match[1] ?? "");
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? "");
  return { spans, blocks };
}

/** The repository paths a page names in code spans: `core/sync/`, `functions/http/<name>.ts`, `serverless.yml`. */
function namedPaths(markdown: string): string[] {
  return codeOf(markdown)
    .spans.map((span) => span.trim())
    .filter((span) => {
      if (/\s/.test(span)) return false;
      if (/^[\w.-]+\.ya?ml$/.test(span)) return true;
      const first = span.split("/")[0] ?? "";
      return span.includes("/") && repoFolders.includes(first);
    });
}

/** Whether a named path exists; a placeholder (`<name>`, `*`, `…`) needs only the folder before it. */
function pathExists(named: string): boolean {
  if (ignoredOutputs.some((output) => named.startsWith(output))) return true;
  const segments = named.replace(/\/$/, "").split("/");
  const placeholder = segments.findIndex((segment) => /[<>*…{}[\]]/.test(segment));
  const concrete = placeholder === -1 ? segments : segments.slice(0, placeholder);
  return concrete.length > 0 && existsSync(path.join(root, ...concrete));
}

/** Every `npm …` command written in code: `npm test`, `npm run bench -- retrieval`, `npm run --silent mcp`. */
function namedNpmCommands(markdown: string): string[] {
  const { spans, blocks } = codeOf(markdown);
  return [...spans, ...blocks].flatMap((code) =>
    [...code.matchAll(/(?<![\w-])npm\s+(run\s+)?(?:--?[\w-]+\s+)*([\w:.-]+)/g)].map((match) =>
      match[1] ? `run ${match[2]}` : (match[2] ?? ""),
    ),
  );
}

function npmCommandExists(command: string): boolean {
  const [verb, script] = command.split(" ");
  if (verb === "run") return script !== undefined && scripts.has(script);
  if (verb === "test" || verb === "start") return scripts.has(verb);
  return verb !== undefined && npmBuiltins.has(verb);
}

/** Relative markdown links, resolved from the page's folder: `docs/api.md#errors` → file and anchor. */
function relativeLinks(page: string, markdown: string): { file: string; anchor?: string }[] {
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "").replace(/`[^`\n]+`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? "")
    .filter((target) => !/^(https?:|mailto:)/.test(target))
    .map((target) => {
      const [file = "", anchor] = target.split("#");
      return { file: file === "" ? page : path.posix.join(path.posix.dirname(page), file), anchor };
    });
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes. */
function anchorsOf(markdown: string): Set<string> {
  const headings = markdown.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "").matchAll(/^#{1,6} (.+)$/gm);
  return new Set(
    [...headings].map((match) =>
      (match[1] ?? "")
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

function linkResolves({ file, anchor }: { file: string; anchor?: string }): boolean {
  if (!existsSync(path.join(root, file))) return false;
  return anchor === undefined || !file.endsWith(".md") || anchorsOf(read(file)).has(anchor);
}

describe("the README and docs/", () => {
  it.each(pages)("%s names only paths that exist", (page) => {
    const missing = namedPaths(read(page)).filter((named) => !pathExists(named));
    expect(missing, "paths named in the page but not in the repository").toEqual([]);
  });

  it.each(pages)("%s names only npm scripts that exist", (page) => {
    const missing = namedNpmCommands(read(page)).filter((command) => !npmCommandExists(command));
    expect(missing, "npm commands with no script in package.json").toEqual([]);
  });

  it.each(pages)("%s links only to files and headings that exist", (page) => {
    const broken = relativeLinks(page, read(page))
      .filter((link) => !linkResolves(link))
      .map(({ file, anchor }) => (anchor === undefined ? file : `${file}#${anchor}`));
    expect(broken, "relative links that resolve to nothing").toEqual([]);
  });

  it("finds what it checks: paths, placeholders, npm commands", () => {
    const sample = [
      "See `core/llm/provider.ts`, `functions/http/<name>.ts`, `serverless.yml` and `.services/logs`.",
      "```bash\nnpm run --silent settings-table\nnpm test   # and npm start\n```",
    ].join("\n");
    expect(namedPaths(sample)).toEqual(["core/llm/provider.ts", "functions/http/<name>.ts", "serverless.yml"]);
    expect(namedNpmCommands(sample)).toEqual(["run settings-table", "test", "start"]);
    expect(pathExists("functions/http/<name>.ts")).toBe(true);
    expect(pathExists("core/llm/made-up.ts")).toBe(false);
    expect(npmCommandExists("run made-up")).toBe(false);
    expect(anchorsOf("## Choices and why\n### `POST /query`, core/query")).toEqual(
      new Set(["choices-and-why", "post-query-corequery"]),
    );
    expect(linkResolves({ file: "docs/settings.md", anchor: "no-such-heading" })).toBe(false);
  });
});
