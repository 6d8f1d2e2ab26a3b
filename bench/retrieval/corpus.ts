import pg from "pg";
import { ensureManualPackages, type ManualPage, readManualPages } from "./manpages.js";

/** Where the corpus lives: its own schema in the benchmarks' PostgreSQL database. */
export const corpusSchema = "retrieval_eval";
/** Bumped when parsing or selection changes, so a stored corpus from older code is rebuilt. */
const corpusVersion = 1;
const maxBodyChars = 1_500;

export interface Corpus {
  /** The table the source reads: `manpages`, or `manpages_<n>` for a smaller (smoke) corpus. */
  table: string;
  pages: number;
  /** Exact codes and names each present in exactly one page's body, with that page. */
  identifiers: { query: string; page: string }[];
  built: boolean;
}

/**
 * The evaluation corpus: each manual page's NAME summary is a query and its DESCRIPTION text the
 * document that answers it (see manpages.ts), loaded into retrieval_eval.<table> with an
 * identifier set beside it (<table>_identifiers). Built once (about two minutes: `man` renders each
 * page) and reused while the stored copy matches this code's version and size.
 * @example const corpus = await ensureCorpus(postgresUrl, { limit: 40 }) // a smoke-sized corpus
 */
export async function ensureCorpus(
  postgresUrl: string,
  options: { limit?: number; log?: (line: string) => void } = {},
): Promise<Corpus> {
  const log = options.log ?? console.log;
  const table = options.limit ? `manpages_${options.limit}` : "manpages";
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 1 });
  try {
    const stored = await storedCorpus(pool, table);
    if (stored) return { ...stored, built: false };
    await ensureManualPackages(log);
    log(`  rendering ${options.limit ?? "all the"} manual pages (once; the full corpus takes about two minutes)…`);
    const pages = await readManualPages({ maxBodyChars, limit: options.limit });
    await writePages(pool, table, pages);
    // The full corpus must yield all 50; a small one (a smoke run's) what it has, at least a few.
    const identifiers = await chooseIdentifiers(pool, table, pages, options.limit ? 5 : 50);
    await pool.query(`COMMENT ON TABLE ${corpusSchema}.${table} IS '${JSON.stringify({ corpusVersion })}'`);
    return { table, pages: pages.length, identifiers, built: true };
  } finally {
    await pool.end();
  }
}

async function storedCorpus(pool: pg.Pool, table: string): Promise<Omit<Corpus, "built"> | undefined> {
  const { rows } = await pool.query<{ comment: string | null }>(
    "SELECT obj_description(to_regclass($1), 'pg_class') AS comment",
    [`${corpusSchema}.${table}`],
  );
  const comment = rows[0]?.comment;
  if (!comment || JSON.parse(comment).corpusVersion !== corpusVersion) return undefined;
  const count = await pool.query<{ count: string }>(`SELECT count(*) FROM ${corpusSchema}.${table}`);
  const identifiers = await pool.query<{ query: string; page: string }>(
    `SELECT query, page FROM ${corpusSchema}.${table}_identifiers ORDER BY query`,
  );
  return { table, pages: Number(count.rows[0]?.count), identifiers: identifiers.rows };
}

async function writePages(pool: pg.Pool, table: string, pages: ManualPage[]): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${corpusSchema}`);
  await pool.query(`DROP TABLE IF EXISTS ${corpusSchema}.${table}_identifiers, ${corpusSchema}.${table}`);
  await pool.query(
    `CREATE TABLE ${corpusSchema}.${table} (page text PRIMARY KEY, name text NOT NULL, section text NOT NULL, description text NOT NULL, body text NOT NULL)`,
  );
  for (let start = 0; start < pages.length; start += 1_000) {
    const slice = pages.slice(start, start + 1_000);
    await pool.query(
      `INSERT INTO ${corpusSchema}.${table} SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
      [
        slice.map((page) => page.page),
        slice.map((page) => page.name),
        slice.map((page) => page.section),
        slice.map((page) => page.description),
        slice.map((page) => page.body),
      ],
    );
  }
}

/** Shapes of identifiers people search by, each with how many of the set it should supply. */
const identifierShapes: { label: string; pattern: RegExp; share: number }[] = [
  { label: "constant", pattern: /\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b/g, share: 0.3 },
  { label: "errno or flag", pattern: /\bE[A-Z0-9]{4,}\b/g, share: 0.1 },
  { label: "function", pattern: /\b[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\b/g, share: 0.35 },
  { label: "long option", pattern: /(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b/g, share: 0.25 },
];

/** A stable pseudo-random order (FNV-1a), so the same corpus always yields the same set. */
function scramble(text: string): number {
  let hash = 2_166_136_261;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 16_777_619);
  return hash >>> 0;
}

/**
 * Up to 50 identifiers (at least `minimum`), each appearing (as a substring, so no longer token contains it either) in
 * exactly one page's body: the candidates come from the text, and PostgreSQL confirms each one.
 * One per page, at least 8 characters, never the page's own name (that would be a title search).
 */
async function chooseIdentifiers(
  pool: pg.Pool,
  table: string,
  pages: ManualPage[],
  minimum: number,
): Promise<{ query: string; page: string }[]> {
  const count = 50;
  const owners = new Map<string, Set<string>>();
  const shapeOf = new Map<string, string>();
  for (const page of pages) {
    for (const shape of identifierShapes) {
      for (const token of page.body.match(shape.pattern) ?? []) {
        if (token.length < 8 || token === page.name) continue;
        owners.set(token, (owners.get(token) ?? new Set()).add(page.page));
        shapeOf.set(token, shape.label);
      }
    }
  }
  const chosen: { query: string; page: string }[] = [];
  const usedPages = new Set<string>();
  // Each shape up to its share, then any shape to make up a shortfall.
  const passes = [
    ...identifierShapes.map((shape) => ({ label: shape.label, share: shape.share })),
    { label: "", share: 1 },
  ];
  for (const shape of passes) {
    const quota = chosen.length + Math.round(shape.share * count);
    const candidates = [...owners]
      .filter(([token, pageSet]) => pageSet.size === 1 && (!shape.label || shapeOf.get(token) === shape.label))
      .sort(([a], [b]) => scramble(a) - scramble(b) || a.localeCompare(b));
    for (const [token, pageSet] of candidates) {
      if (chosen.length >= Math.min(quota, count)) break;
      const page = [...pageSet][0] as string;
      if (usedPages.has(page) || chosen.some((identifier) => identifier.query === token)) continue;
      const { rows } = await pool.query<{ page: string }>(
        `SELECT page FROM ${corpusSchema}.${table} WHERE strpos(body, $1) > 0 OR strpos(name, $1) > 0 OR strpos(description, $1) > 0`,
        [token],
      );
      if (rows.length !== 1 || rows[0]?.page !== page) continue;
      chosen.push({ query: token, page });
      usedPages.add(page);
    }
  }
  if (chosen.length < minimum) throw new Error(`found ${chosen.length} unique identifiers, wanted ${minimum}`);
  await pool.query(`CREATE TABLE ${corpusSchema}.${table}_identifiers (query text PRIMARY KEY, page text NOT NULL)`);
  await pool.query(`INSERT INTO ${corpusSchema}.${table}_identifiers SELECT * FROM unnest($1::text[], $2::text[])`, [
    chosen.map((identifier) => identifier.query),
    chosen.map((identifier) => identifier.page),
  ]);
  return chosen;
}
