import { describe, expect, it } from "vitest";
import { authenticate, findApiKey, generateApiKey, hashApiKey, mayActFor } from "../../../core/auth/index.js";
import type { ApiKeyConfig } from "../../../core/config/index.js";

const key = (name: string, sha256: string, users: string[] = []): ApiKeyConfig => ({
  name,
  sha256,
  scopes: ["chat"],
  users,
});

describe("API keys", () => {
  it("stores only a hash and finds the key by hashing what is presented", () => {
    const one = generateApiKey();
    const two = generateApiKey();
    expect(one.key).not.toBe(two.key);
    expect(one.sha256).toBe(hashApiKey(one.key));
    const keys = [key("one", one.sha256), key("two", two.sha256)];
    expect(findApiKey(keys, two.key)?.name).toBe("two");
    expect(findApiKey(keys, `${two.key}x`)).toBeUndefined();
    expect(findApiKey(keys, two.sha256)).toBeUndefined();
  });

  it("reads Bearer or x-api-key, and is off without configured keys", () => {
    const one = generateApiKey();
    const keys = [key("one", one.sha256)];
    const headers = (values: Record<string, string>) => (name: string) => values[name];
    expect(authenticate(keys, headers({ authorization: `Bearer ${one.key}` }))?.name).toBe("one");
    expect(authenticate(keys, headers({ "x-api-key": one.key }))?.name).toBe("one");
    expect(() => authenticate(keys, headers({}))).toThrow(/API key is required/);
    expect(() => authenticate(keys, headers({ authorization: `Basic ${one.key}` }))).toThrow();
    expect(authenticate([], headers({}))).toBeUndefined();
  });

  it("matches user names exactly, by prefix or all", () => {
    const scoped = key("k", "0".repeat(64), ["ada", "team-*"]);
    expect(mayActFor(scoped, "ada")).toBe(true);
    expect(mayActFor(scoped, "adam")).toBe(false);
    expect(mayActFor(scoped, "team-red")).toBe(true);
    expect(mayActFor(scoped, "team")).toBe(false);
    expect(mayActFor(key("all", "0".repeat(64), ["*"]), "anyone")).toBe(true);
    expect(mayActFor(key("none", "0".repeat(64)), "ada")).toBe(false);
  });
});
