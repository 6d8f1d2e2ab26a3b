import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../core/config/index.js";

/** The ConfigError loadConfig throws for this environment (fails the test when it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig({ env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("loadConfig accepted the configuration");
}

const sources = (definitions: unknown[]) => JSON.stringify(definitions);

describe("sources: secrets from their own variables, checked at start-up (docs/sources.md)", () => {
  const folder = mkdtempSync(path.join(tmpdir(), "source-secrets-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("resolves password_env and url_env from the environment it is given", () => {
    const settings = loadConfig({
      env: {
        SOURCES: sources([
          {
            name: "shop",
            kind: "postgresql",
            host: "db.internal",
            database: "shop",
            user: "reader",
            password_env: "SHOP_DB_PASSWORD",
          },
          { name: "crm", kind: "mongodb", url_env: "CRM_MONGO_URL", database: "crm" },
          { name: "books", kind: "postgresql", url_env: "BOOKS_DB_URL" },
        ]),
        SHOP_DB_PASSWORD: "p@ss word",
        CRM_MONGO_URL: "mongodb://crm-user:crm-pass@mongo.internal:27017/",
        BOOKS_DB_URL: "postgresql://books:b00ks@pg.internal:5433/books",
      },
    });
    expect(settings.sources).toEqual([
      expect.objectContaining({ name: "shop", connectionString: "postgresql://reader:p%40ss%20word@db.internal/shop" }),
      expect.objectContaining({ name: "crm", url: "mongodb://crm-user:crm-pass@mongo.internal:27017/" }),
      expect.objectContaining({ name: "books", connectionString: "postgresql://books:b00ks@pg.internal:5433/books" }),
    ]);
    // The variable names are not kept on the resolved sources.
    for (const source of settings.sources) {
      expect(source).not.toHaveProperty("password_env");
      expect(source).not.toHaveProperty("url_env");
    }
  });

  it("a password_env naming an unset variable stops start-up naming the variable", () => {
    const error = configError({
      SOURCES: sources([
        { name: "shop", kind: "postgresql", host: "db.internal", database: "shop", password_env: "SHOP_DB_PASSWORD" },
      ]),
    });
    expect(error.problems).toEqual(["SOURCES[shop]: password variable SHOP_DB_PASSWORD is not set"]);
    expect(error.message).toBe(
      "Invalid configuration:\n  - SOURCES[shop]: password variable SHOP_DB_PASSWORD is not set",
    );
  });

  it("an empty variable counts as unset", () => {
    const error = configError({
      SOURCES: sources([
        { name: "shop", kind: "postgresql", host: "db.internal", database: "shop", password_env: "SHOP_DB_PASSWORD" },
      ]),
      SHOP_DB_PASSWORD: "",
    });
    expect(error.problems).toEqual(["SOURCES[shop]: password variable SHOP_DB_PASSWORD is not set"]);
  });

  it("a url_env naming an unset variable stops start-up naming the variable, for PostgreSQL and MongoDB", () => {
    const error = configError({
      SOURCES: sources([
        { name: "books", kind: "postgresql", url_env: "BOOKS_DB_URL" },
        { name: "crm", kind: "mongodb", url_env: "CRM_MONGO_URL", database: "crm" },
      ]),
    });
    // Exactly these: an unset url_env is not reported a second time as a missing url.
    expect(error.problems).toEqual([
      "SOURCES[books]: url variable BOOKS_DB_URL is not set",
      "SOURCES[crm]: url variable CRM_MONGO_URL is not set",
    ]);
    expect(error.message).toContain("BOOKS_DB_URL");
    expect(error.message).toContain("CRM_MONGO_URL");
  });

  it("names a duplicate source name and a source with nothing to connect to", () => {
    const error = configError({
      SOURCES: sources([
        { name: "exports", kind: "csv", path: "exports" },
        { name: "exports", kind: "jsonl", path: "other" },
        { name: "half", kind: "postgresql", host: "db.internal" },
        { name: "nowhere", kind: "mongodb", database: "crm" },
      ]),
    });
    expect(error.problems).toEqual([
      "SOURCES[exports]: duplicate source name",
      "SOURCES[half]: give url, url_env, or host and database",
      "SOURCES[nowhere]: give url or url_env",
    ]);
  });

  it("reports every problem at once, beside the other settings' problems", () => {
    const error = configError({
      PORT: "eighty",
      SOURCES: sources([
        { name: "shop", kind: "postgresql", host: "db.internal", database: "shop", password_env: "SHOP_DB_PASSWORD" },
        { name: "shop", kind: "csv" },
        { name: "crm", kind: "mongodb", url_env: "CRM_MONGO_URL", database: "crm" },
        { name: "half", kind: "postgresql", database: "half" },
      ]),
    });
    for (const problem of [
      "SOURCES[shop]: password variable SHOP_DB_PASSWORD is not set",
      "SOURCES[shop]: duplicate source name",
      "SOURCES[crm]: url variable CRM_MONGO_URL is not set",
      "SOURCES[half]: give url, url_env, or host and database",
    ]) {
      expect(error.problems).toContain(problem);
      expect(error.message).toContain(`\n  - ${problem}`);
    }
    expect(error.problems.filter((problem) => problem.startsWith("PORT: "))).toHaveLength(1);
  });

  it("never puts a resolved secret's value in the error when something else is wrong", () => {
    const secrets = {
      SHOP_DB_PASSWORD: "pg-secret-7f3a91",
      CRM_MONGO_URL: "mongodb://crm:mongo-secret-c2e8@mongo.internal/",
      BOOKS_DB_URL: "postgresql://books:books-secret-4d1b@pg.internal/books",
    };
    const error = configError({
      ...secrets,
      PORT: "-1",
      SOURCES: sources([
        { name: "shop", kind: "postgresql", host: "db.internal", database: "shop", password_env: "SHOP_DB_PASSWORD" },
        { name: "shop", kind: "postgresql", host: "db.internal", database: "shop", password_env: "SHOP_DB_PASSWORD" },
        { name: "crm", kind: "mongodb", url_env: "CRM_MONGO_URL", database: "crm" },
        { name: "crm", kind: "mongodb", url_env: "CRM_MONGO_URL", database: "crm" },
        { name: "books", kind: "postgresql", url_env: "BOOKS_DB_URL" },
        { name: "books", kind: "postgresql", url_env: "BOOKS_DB_URL" },
      ]),
    });
    expect(error.problems).toContain("SOURCES[shop]: duplicate source name");
    expect(error.problems).toContain("SOURCES[crm]: duplicate source name");
    expect(error.problems).toContain("SOURCES[books]: duplicate source name");
    const shown = `${error.message}\n${error.problems.join("\n")}\n${error.stack ?? ""}\n${JSON.stringify(error)}`;
    for (const secret of [...Object.values(secrets), "mongo-secret-c2e8", "books-secret-4d1b"]) {
      expect(shown).not.toContain(secret);
    }
  });

  it("reads SOURCES_FILE and checks its secrets the same way", () => {
    const file = path.join(folder, "sources.json");
    writeFileSync(
      file,
      sources([
        { name: "from-file", kind: "postgresql", host: "db.internal", database: "shop", password_env: "FILE_PG_PW" },
        { name: "from-file", kind: "csv" },
      ]),
    );
    expect(configError({ SOURCES_FILE: file }).problems).toEqual([
      "SOURCES[from-file]: password variable FILE_PG_PW is not set",
      "SOURCES[from-file]: duplicate source name",
    ]);
    writeFileSync(
      file,
      sources([
        { name: "from-file", kind: "postgresql", host: "db.internal", database: "shop", password_env: "FILE_PG_PW" },
      ]),
    );
    const settings = loadConfig({ env: { SOURCES_FILE: file, FILE_PG_PW: "pw" } });
    expect(settings.sources.map((source) => source.name)).toEqual(["from-file"]);
    expect(settings.sources[0]).toMatchObject({ connectionString: "postgresql://:pw@db.internal/shop" });
  });

  it("names SOURCES_FILE when it is missing or not JSON", () => {
    const missing = path.join(folder, "absent.json");
    const [missingProblem] = configError({ SOURCES_FILE: missing }).problems;
    expect(missingProblem?.startsWith(`SOURCES_FILE (${missing}): not readable JSON (`)).toBe(true);
    const broken = path.join(folder, "broken.json");
    writeFileSync(broken, "[{ not json");
    const problems = configError({ SOURCES_FILE: broken }).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.startsWith(`SOURCES_FILE (${broken}): not readable JSON (`)).toBe(true);
  });
});
