import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, settingsSchema } from "../../../core/config/index.js";

describe("loadConfig", () => {
  it("applies every default when nothing is set", () => {
    const settings = loadConfig({ env: {} });
    expect(settings.PORT).toBe(8000);
    expect(settings.CHROMA_URL).toBe("http://127.0.0.1:18000");
    expect(settings.EMBEDDING_BATCH_SIZE).toBe(32);
    expect(settings.LLM_PROVIDER).toBeUndefined();
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it("coerces numbers and flags from strings", () => {
    const settings = loadConfig({ env: { PORT: "9001", EMBEDDING_ALLOW_REMOTE: "true", LLM_TEMPERATURE: "0.7" } });
    expect(settings.PORT).toBe(9001);
    expect(settings.EMBEDDING_ALLOW_REMOTE).toBe(true);
    expect(settings.LLM_TEMPERATURE).toBe(0.7);
  });

  it("treats a blank component URL as disabled", () => {
    const settings = loadConfig({ env: { REDIS_URL: "", KAFKA_BROKERS: "  " } });
    expect(settings.REDIS_URL).toBeUndefined();
    expect(settings.KAFKA_BROKERS).toBeUndefined();
  });

  it("lists every problem in one error", () => {
    let caught: unknown;
    try {
      loadConfig({ env: { PORT: "eighty", CHROMA_URL: "not a url", EMBEDDING_DTYPE: "fp16", LLM_PROVIDER: "gemini" } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join("\n");
    for (const key of ["PORT", "CHROMA_URL", "EMBEDDING_DTYPE", "GEMINI_API_KEY"]) expect(problems).toContain(key);
    expect((caught as ConfigError).message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  it("never puts a secret's value in its error", () => {
    expect(() => loadConfig({ env: { GEMINI_API_KEY: "sk-very-secret", PORT: "-1" } })).toThrow(ConfigError);
    try {
      loadConfig({ env: { GEMINI_API_KEY: "sk-very-secret", PORT: "-1" } });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain("sk-very-secret");
    }
  });

  it("reads a .env file, with the real environment taking precedence", () => {
    const folder = mkdtempSync(path.join(tmpdir(), "config-"));
    const file = path.join(folder, ".env");
    writeFileSync(file, "PORT=9100\nSERVICE_NAME=from-file\n");
    const settings = loadConfig({ env: { PORT: "9200" }, dotEnvPath: file });
    expect(settings.PORT).toBe(9200);
    expect(settings.SERVICE_NAME).toBe("from-file");
  });

  it("describes every setting, for the settings table in docs/settings.md", () => {
    for (const [key, schema] of Object.entries(settingsSchema.shape)) {
      expect(schema.description, key).toBeTruthy();
    }
  });
});
