import { execFile } from "node:child_process";
import { lstat } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The packages whose manual pages make the corpus: Debian's `manpages` and `manpages-dev` (the
 * brief's core: system calls, the C library, file formats) and everyday tools that a Debian 12
 * system has installed. A fixed list, not "whatever is installed", so the corpus is the same on
 * every Debian 12 machine (this one also holds 16,000 generated gcloud pages that would swamp it).
 */
export const corpusPackages = ["manpages", "manpages-dev"] as const;
export const toolPackages = [
  "coreutils",
  "util-linux",
  "procps",
  "findutils",
  "grep",
  "sed",
  "tar",
  "gzip",
  "bzip2",
  "xz-utils",
  "diffutils",
  "less",
  "man-db",
  "dpkg",
  "apt",
  "bash",
  "systemd",
  "iproute2",
  "openssh-client",
  "git",
  "curl",
  "openssl",
  "binutils",
  "make",
  "e2fsprogs",
  "mount",
  "passwd",
  "login",
  "libc-bin",
] as const;

export interface ManualPage {
  /** File name without `.gz`, unique: `ls.1`, `open.2`, `pthread_mutex_lock.3`. */
  page: string;
  /** The first name on the NAME line. */
  name: string;
  section: string;
  /** The NAME line's summary after the dash: the query. */
  description: string;
  /** The DESCRIPTION section's text, whitespace collapsed, cut at a word near `maxBodyChars`: the document. */
  body: string;
}

/** Debian packages that are installed (dpkg status "install ok installed"). */
async function installed(packages: readonly string[]): Promise<Set<string>> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a template
  const { stdout } = await run("dpkg-query", ["-W", "-f", "${Package} ${Status}\\n", ...packages]).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }), // dpkg-query exits 1 when one is unknown
  );
  return new Set(
    stdout
      .split("\n")
      .filter((line) => line.endsWith("install ok installed"))
      .map((line) => line.split(" ")[0] ?? ""),
  );
}

/**
 * Installs `man-db`, `manpages` and `manpages-dev` with apt-get when missing (a fresh Debian 12 as
 * root), so the corpus can be built anywhere the project runs; the tools' pages are used when present.
 */
export async function ensureManualPackages(log: (line: string) => void = console.log): Promise<void> {
  const needed = ["man-db", ...corpusPackages];
  const present = await installed(needed);
  const missing = needed.filter((name) => !present.has(name));
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`the evaluation corpus needs ${missing.join(", ")}: run as root or apt-get install them`);
  }
  log(`  installing ${missing.join(", ")} with apt-get…`);
  const environment = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update"], { env: environment, maxBuffer: 64 * 1024 * 1024 });
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], {
    env: environment,
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The real page files (not symlinks) the packages installed under /usr/share/man/man1–8, sorted. */
export async function pageFiles(): Promise<string[]> {
  const present = [...(await installed([...corpusPackages, ...toolPackages]))];
  const { stdout } = await run("dpkg", ["-L", ...present], { maxBuffer: 64 * 1024 * 1024 });
  const candidates = [...new Set(stdout.split("\n"))].filter((file) =>
    /^\/usr\/share\/man\/man[1-8]\/[^/]+\.[1-8][a-z]*\.gz$/.test(file),
  );
  const files: string[] = [];
  for (const file of candidates.sort()) {
    // Aliases are symlinks to the page they name (and `.so` stubs, dropped by parsing): one row per page.
    const stats = await lstat(file).catch(() => undefined);
    if (stats?.isFile()) files.push(file);
  }
  if (!files.length) {
    throw new Error(
      "no manual pages under /usr/share/man: a slim image's dpkg excludes them (/etc/dpkg/dpkg.cfg.d); remove that path-exclude and reinstall manpages",
    );
  }
  return files;
}

const heading = /^[A-Z][A-Z0-9 ,/&()-]*$/;

/**
 * Splits `man -P cat` output (MANWIDTH=1000, so a paragraph is one line) into NAME's summary
 * and DESCRIPTION's text; undefined when the page has either missing.
 */
export function parsePage(page: string, rendered: string, maxBodyChars: number): ManualPage | undefined {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  // Overstrike bold and underline (a character, a backspace, a character), should grotty emit any.
  const plain = rendered.replace(new RegExp(`.${String.fromCharCode(8)}`, "g"), "");
  for (const line of plain.split("\n")) {
    if (heading.test(line)) {
      current = [];
      if (!sections.has(line)) sections.set(line, current);
    } else if (current && line.trim()) current.push(line.trim());
  }
  const nameLine = sections.get("NAME")?.join(" ") ?? "";
  const match = /^(.+?)\s+[-\u2010-\u2015]+\s+(.+)$/.exec(nameLine);
  const body = (sections.get("DESCRIPTION") ?? []).join(" ").replace(/\s+/g, " ").trim();
  if (!match || body.length < 40) return undefined;
  const name = (match[1] ?? "").split(/[,\s]+/)[0] ?? "";
  const description = (match[2] ?? "").trim();
  const cut = body.length <= maxBodyChars ? body : body.slice(0, body.lastIndexOf(" ", maxBodyChars));
  return { page, name, section: page.slice(page.lastIndexOf(".") + 1), description, body: cut };
}

/** Renders one page file as plain text, one paragraph a line. */
async function render(file: string): Promise<string> {
  const { stdout } = await run("man", ["-P", "cat", "-l", file], {
    env: { ...process.env, MANWIDTH: "1000", MAN_KEEP_FORMATTING: "", LANG: "C.UTF-8" },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Every page of the corpus packages, parsed; pages whose summary repeats an earlier page's
 * (case-insensitively) are dropped, so every query has exactly one right answer.
 */
export async function readManualPages(options: {
  maxBodyChars: number;
  concurrency?: number;
  /** At most this many pages, from files spread evenly over the list (a smoke run renders only those). */
  limit?: number;
}): Promise<ManualPage[]> {
  const all = await pageFiles();
  // Twice the files wanted: some are stubs or repeat a summary.
  const stride = options.limit ? Math.max(1, Math.floor(all.length / (options.limit * 2))) : 1;
  const files = all.filter((_, index) => index % stride === 0);
  const parsed: (ManualPage | undefined)[] = new Array(files.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < files.length; index = next++) {
      const file = files[index] as string;
      const page = (file.split("/").at(-1) ?? "").replace(/\.gz$/, "");
      const text = await render(file).catch(() => "");
      parsed[index] = parsePage(page, text, options.maxBodyChars);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  const seen = new Set<string>();
  const pages: ManualPage[] = [];
  for (const page of parsed) {
    if (!page) continue;
    const key = page.description.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    pages.push(page);
  }
  return options.limit ? pages.slice(0, options.limit) : pages;
}
