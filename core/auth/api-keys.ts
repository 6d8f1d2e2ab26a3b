import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApiKeyConfig, ApiScope } from "../config/index.js";
import { ForbiddenError, UnauthorizedError } from "./errors.js";

export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

/** A new random key (`cwd_` + 32 bytes base64url) and the sha256 that goes into API_KEYS. */
export function generateApiKey(): { key: string; sha256: string } {
  const key = `cwd_${randomBytes(32).toString("base64url")}`;
  return { key, sha256: hashApiKey(key) };
}

/**
 * The configured key matching a presented one, or undefined. Every configured hash is compared,
 * each in constant time, so the time taken says nothing about which key or how much of it matched.
 */
export function findApiKey(keys: readonly ApiKeyConfig[], presented: string): ApiKeyConfig | undefined {
  const digest = Buffer.from(hashApiKey(presented), "hex");
  let found: ApiKeyConfig | undefined;
  for (const key of keys) {
    if (timingSafeEqual(Buffer.from(key.sha256, "hex"), digest) && !found) found = key;
  }
  return found;
}

/** Authorization: Bearer <key>, or x-api-key: <key>. */
export function presentedKey(header: (name: string) => string | undefined): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header("authorization") ?? "")?.[1];
  return bearer ?? header("x-api-key")?.trim() ?? undefined;
}

export function requireScope(key: ApiKeyConfig, scope: ApiScope): void {
  if (!key.scopes.includes(scope) && !key.scopes.includes("admin")) {
    throw new ForbiddenError(`API key '${key.name}' lacks the '${scope}' scope`);
  }
}

/** Whether a key may act for a user: an exact name, a `prefix*`, or `*`. */
export function mayActFor(key: ApiKeyConfig, userName: string): boolean {
  return key.users.some((pattern) =>
    pattern.endsWith("*") ? userName.startsWith(pattern.slice(0, -1)) : pattern === userName,
  );
}

export function requireUser(key: ApiKeyConfig | undefined, userName: string): void {
  if (key && !mayActFor(key, userName)) {
    throw new ForbiddenError(`API key '${key.name}' may not act for user '${userName}'`);
  }
}

/** Resolves the caller's key, or throws 401; with no keys configured, authentication is off. */
export function authenticate(
  keys: readonly ApiKeyConfig[],
  header: (name: string) => string | undefined,
): ApiKeyConfig | undefined {
  if (keys.length === 0) return undefined;
  const presented = presentedKey(header);
  if (!presented) throw new UnauthorizedError();
  const key = findApiKey(keys, presented);
  if (!key) throw new UnauthorizedError("the API key is not valid");
  return key;
}
