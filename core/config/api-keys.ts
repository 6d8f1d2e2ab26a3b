import { readFileSync } from "node:fs";
import { z } from "zod";

/** chat: /chat and search; query: POST /query (structured queries, no model); admin: everything. */
export const apiScopes = ["chat", "query", "admin"] as const;
export type ApiScope = (typeof apiScopes)[number];

/** A user-name pattern: an exact name, `prefix*`, or `*` for every user. */
const userPattern = z.string().regex(/^(\*|[A-Za-z0-9._@-]{1,64}\*?)$/, "an exact user name, 'prefix*' or '*'");

/**
 * One API key as configured: never the key itself, only its sha256 (hex), so a leaked
 * configuration grants nothing. `npm run api-key` makes a key and prints its entry.
 */
const apiKeyDefinition = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, "letters, digits, '_' or '-'"),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the key's sha256 as 64 lowercase hex digits")
    .transform((hex) => hex.toLowerCase()),
  scopes: z.array(z.enum(apiScopes)).min(1).default(["chat"]),
  /** Whose history the key may read, write or delete; chat answers are saved under these names only. */
  users: z.array(userPattern).default([]),
  /** Overrides RATE_LIMIT_PER_MINUTE for this key; 0 means unlimited. */
  rate_limit_per_minute: z.number().int().min(0).optional(),
});

export type ApiKeyConfig = z.infer<typeof apiKeyDefinition>;

/** Parses API_KEYS (JSON) or API_KEYS_FILE; problems are returned to join the other settings' problems. */
export function resolveApiKeys(raw: { json: string | undefined; file: string | undefined }): {
  keys: ApiKeyConfig[];
  problems: string[];
} {
  let input: unknown = [];
  try {
    if (raw.file) input = JSON.parse(readFileSync(raw.file, "utf8"));
    else if (raw.json?.trim()) input = JSON.parse(raw.json);
  } catch (error) {
    const where = raw.file ? `API_KEYS_FILE (${raw.file})` : "API_KEYS";
    // The parser's message may quote the text, and the text may hold something secret: say only where.
    return {
      keys: [],
      problems: [`${where}: not readable JSON${error instanceof SyntaxError ? "" : " (unreadable file)"}`],
    };
  }
  const parsed = z.array(apiKeyDefinition).safeParse(input);
  if (!parsed.success) {
    return {
      keys: [],
      problems: parsed.error.issues.map((issue) => `API_KEYS[${issue.path.join(".")}]: ${issue.message}`),
    };
  }
  const problems: string[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const key of parsed.data) {
    if (names.has(key.name)) problems.push(`API_KEYS[${key.name}]: duplicate key name`);
    if (hashes.has(key.sha256)) problems.push(`API_KEYS[${key.name}]: the same key is configured twice`);
    names.add(key.name);
    hashes.add(key.sha256);
  }
  return { keys: parsed.data, problems };
}
