import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PostgresConnector,
  resolveSelection,
  rowToDocument,
  SourceAuthenticationError,
  SourceUnavailableError,
  TableNotFoundError,
  UnknownFieldsError,
} from "../../../core/sources/index.js";
import { createPostgresFixture } from "../../support/postgres-fixture.js";
import { testServices } from "../../support/services.js";

const setup = `
CREATE TABLE everything (
  id integer PRIMARY KEY, big bigint, amount numeric(30, 10), title text, code varchar(20), active boolean,
  seen_at timestamptz, born date, payload json, details jsonb, tags text[], scores integer[], ref uuid, blob bytea, nothing text
);
INSERT INTO everything VALUES
  (1, 9007199254740993, 12345678901234567890.1234567891, 'Standing desk', 'SD-1', true,
   '2026-03-04 05:06:07.123456+00', '2026-03-04', '{"a": 1}', '{"b": [1, 2]}', '{red,blue}', '{1,2,3}',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10', NULL),
  (2, 5, 0.5, 'Chair', 'CH-2', false, NULL, NULL, NULL, NULL, '{}', NULL, NULL, NULL, NULL);
CREATE TABLE line_items (order_id integer, line integer, product text, PRIMARY KEY (order_id, line));
INSERT INTO line_items VALUES (1, 1, 'desk'), (1, 2, 'chair'), (2, 1, 'lamp');
CREATE TABLE no_key (note text, amount integer);
INSERT INTO no_key VALUES ('first', 1), ('second', 2);
CREATE TABLE "Mixed Case Table" ("Product Name" text, "Weird ""Quoted"" Col" text, id integer PRIMARY KEY);
INSERT INTO "Mixed Case Table" VALUES ('Lamp', 'q', 7);
INSERT INTO everything (id, title) SELECT n, 'bulk ' || n FROM generate_series(100, 1299) AS n;
`;

describe("PostgresConnector on the real server", () => {
  let fixture: Awaited<ReturnType<typeof createPostgresFixture>>;
  let connector: PostgresConnector;

  beforeAll(async () => {
    fixture = await createPostgresFixture(setup);
    connector = new PostgresConnector(fixture.source);
  });
  afterAll(async () => {
    await connector?.close();
    await fixture?.drop();
  });

  it("lists tables and describes columns, types and primary keys", async () => {
    const tables = (await connector.listTables()).map((table) => table.name);
    expect(tables).toEqual(["Mixed Case Table", "everything", "line_items", "no_key"]);
    const everything = await connector.describe("everything");
    expect(everything.primaryKey).toEqual(["id"]);
    const types = Object.fromEntries(everything.columns.map((column) => [column.name, column.type]));
    expect(types).toMatchObject({
      id: "integer",
      big: "bigint",
      amount: "numeric(30,10)",
      code: "character varying(20)",
      seen_at: "timestamp with time zone",
      tags: "text[]",
      ref: "uuid",
      blob: "bytea",
    });
    expect((await connector.describe("line_items")).primaryKey).toEqual(["order_id", "line"]);
    expect((await connector.describe("no_key")).primaryKey).toEqual([]);
    await expect(connector.describe("missing_table")).rejects.toBeInstanceOf(TableNotFoundError);
  });

  it("turns every PostgreSQL type into safe metadata without losing precision", async () => {
    const schema = await connector.describe("everything");
    const selection = resolveSelection("pgtest", schema, { textFields: ["title"] });
    const rows = [];
    for await (const row of connector.stream({
      table: "everything",
      fields: selection.readFields,
      filters: [{ column: "id", op: "lte", value: 2 }],
    })) {
      rows.push(row);
    }
    expect(rows).toHaveLength(2);
    const document = rowToDocument(rows.find((row) => row.id === 1) ?? {}, {
      source: "pgtest",
      table: "everything",
      ...selection,
    });
    expect(document.id).toBe("pgtest:everything:1");
    expect(document.text).toBe("title: Standing desk");
    expect(document.metadata).toMatchObject({
      id: 1,
      big: "9007199254740993",
      amount: "12345678901234567890.1234567891",
      code: "SD-1",
      active: true,
      seen_at: "2026-03-04T05:06:07.123456+00:00",
      born: "2026-03-04",
      payload: '{"a":1}',
      details: '{"b":[1,2]}',
      tags: '["red","blue"]',
      scores: "[1,2,3]",
      ref: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      blob: "base64:AP8Q",
      source: "pgtest",
      table: "everything",
    });
    expect(document.metadata).not.toHaveProperty("nothing");
    for (const value of Object.values(document.metadata))
      expect(["string", "number", "boolean"]).toContain(typeof value);
  });

  it("gives composite keys and key-less tables stable, unambiguous ids", async () => {
    const lineItems = await connector.describe("line_items");
    const selection = resolveSelection("pgtest", lineItems, { textFields: ["product"] });
    const ids: string[] = [];
    for await (const row of connector.stream({ table: "line_items", fields: selection.readFields })) {
      ids.push(rowToDocument(row, { source: "pgtest", table: "line_items", ...selection }).id);
    }
    expect(ids.sort()).toEqual(["pgtest:line_items:1,1", "pgtest:line_items:1,2", "pgtest:line_items:2,1"]);

    const noKey = await connector.describe("no_key");
    const noKeySelection = resolveSelection("pgtest", noKey, { textFields: ["note"] });
    const read = async () => {
      const found: string[] = [];
      for await (const row of connector.stream({ table: "no_key", fields: noKeySelection.readFields })) {
        found.push(rowToDocument(row, { source: "pgtest", table: "no_key", ...noKeySelection }).id);
      }
      return found.sort();
    };
    const first = await read();
    expect(first).toHaveLength(2);
    expect(first[0]).toMatch(/^pgtest:no_key:h:[0-9a-f]{32}$/);
    expect(await read()).toEqual(first);
  });

  it("reads quoted, mixed-case identifiers and names with spaces", async () => {
    const schema = await connector.describe("Mixed Case Table");
    expect(schema.columns.map((column) => column.name)).toEqual(["Product Name", 'Weird "Quoted" Col', "id"]);
    const rows = [];
    for await (const row of connector.stream({
      table: "Mixed Case Table",
      fields: ["Product Name", 'Weird "Quoted" Col', "id"],
    }))
      rows.push(row);
    expect(rows).toEqual([{ "Product Name": "Lamp", 'Weird "Quoted" Col': "q", id: 7 }]);
  });

  it("refuses unknown or injected names with one error naming them, and binds filter values", async () => {
    const schema = await connector.describe("everything");
    expect(() =>
      resolveSelection("pgtest", schema, {
        fields: ["title", "title; DROP TABLE everything; --"],
        textFields: ['title" FROM pg_shadow --'],
        filters: [{ column: "1=1 OR id", op: "eq", value: 1 }],
      }),
    ).toThrow(UnknownFieldsError);
    await expect(connector.describe("everything; DROP TABLE no_key")).rejects.toBeInstanceOf(TableNotFoundError);
    const injected = await connector.count("everything", [{ column: "title", op: "eq", value: "x' OR '1'='1" }]);
    expect(injected).toBe(0);
    expect(await connector.count("no_key")).toBe(2);
  });

  it("streams large tables in cursor batches, honouring filters and max rows", async () => {
    let streamed = 0;
    for await (const _row of connector.stream({ table: "everything", fields: ["id"], batchSize: 100 })) streamed++;
    expect(streamed).toBe(1202);
    expect(await connector.count("everything", [{ column: "id", op: "in", value: [1, 2, 100] }])).toBe(3);
    let limited = 0;
    for await (const _row of connector.stream({ table: "everything", fields: ["id"], maxRows: 10 })) limited++;
    expect(limited).toBe(10);
  });

  it("runs readOnlyQuery statements read-only, time-limited and in UTC, on sessions that stay so when reused", async () => {
    // One connection, so every statement below runs on the same session.
    const single = new PostgresConnector({ ...fixture.source, max_connections: 1 });
    const options = { timeoutMs: 300, table: "no_key" };
    const backend = async () =>
      (await single.readOnlyQuery("SELECT pg_backend_pid() AS pid", [], options))[0]?.pid as number;
    try {
      const first = await backend();
      expect(await single.readOnlyQuery("SELECT current_setting('TimeZone') AS zone", [], options)).toEqual([
        { zone: "UTC" },
      ]);
      expect(await backend()).toBe(first);
      await expect(
        single.readOnlyQuery(`INSERT INTO ${fixture.schema}.no_key VALUES ('written', 3)`, [], options),
      ).rejects.toThrow(/read-only transaction/);
      const pause = await single.readOnlyQuery("SELECT pg_sleep(2)", [], options).catch((error: unknown) => error);
      expect((pause as { code?: string }).code).toBe("57014");
      // Reused after a success, the session is as read-only as a fresh one.
      await backend();
      await expect(single.readOnlyQuery(`DELETE FROM ${fixture.schema}.no_key`, [], options)).rejects.toThrow(
        /read-only transaction/,
      );
      const { rows } = await fixture.admin.query(`SELECT count(*)::int AS n FROM ${fixture.schema}.no_key`);
      expect(rows[0]?.n).toBe(2);
    } finally {
      await single.close();
    }
  });

  it("reports bad credentials without the secret, and an unreachable server as unavailable", async () => {
    const wrong = new URL(testServices.postgresUrl);
    wrong.password = "not-the-password-123";
    const bad = new PostgresConnector({ ...fixture.source, connectionString: wrong.toString() });
    const error = await bad.listTables().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceAuthenticationError);
    expect(String((error as Error).message)).not.toContain("not-the-password-123");
    await bad.close();

    const down = new PostgresConnector({
      ...fixture.source,
      connectionString: "postgresql://chat:chat@127.0.0.1:1/chat_test",
    });
    await expect(down.listTables()).rejects.toBeInstanceOf(SourceUnavailableError);
    await down.close();
  });
});
