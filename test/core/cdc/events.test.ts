import { describe, expect, it } from "vitest";
import {
  buildConnectorConfig,
  ConnectClient,
  ConnectRequestError,
  ConnectUnavailableError,
  cdcNames,
  changeEventSchema,
  formatLsn,
  sourceOfTopicPrefix,
  toRowChange,
} from "../../../core/cdc/index.js";

// The shape Debezium 3.4's PostgreSQL connector writes with JsonConverter (schemas off).
const update = {
  before: { id: 7 },
  after: { id: 7, title: "Birch desk", body: "A desk.", price: 450, category: "office" },
  source: {
    version: "3.4.0.Final",
    connector: "postgresql",
    name: "run1.cdc.shop",
    ts_ms: 1_764_000_000_000,
    snapshot: "false",
    db: "chat_test",
    sequence: '["24023128","24023184"]',
    schema: "t_abc",
    table: "items",
    txId: 780,
    lsn: 24_023_184,
    xmin: null,
  },
  transaction: null,
  op: "u",
  ts_ms: 1_764_000_000_120,
};

describe("Debezium change events", () => {
  it("reads an event with or without the converter's schema, and a tombstone as null", () => {
    const bare = changeEventSchema.parse(update);
    const wrapped = changeEventSchema.parse({ schema: { type: "struct", fields: [] }, payload: update });
    expect(wrapped).toEqual(bare);
    expect(bare?.op).toBe("u");
    expect(changeEventSchema.parse(null)).toBeNull();
    expect(() => changeEventSchema.parse({ op: "x", source: update.source })).toThrow();
  });

  it("keeps fields a later Debezium version adds", () => {
    const parsed = changeEventSchema.parse({ ...update, source: { ...update.source, extra: 1 }, newField: true });
    expect(parsed).toMatchObject({ newField: true, source: { extra: 1 } });
  });

  it("takes the row's key from the record key, else from the row image", () => {
    const value = changeEventSchema.parse(update);
    if (!value) throw new Error("parsed as a tombstone");
    expect(toRowChange(value, '{"id":7}')).toMatchObject({ key: { id: 7 }, table: "items", lsn: 24_023_184 });
    expect(toRowChange(value, '{"schema":{"type":"struct"},"payload":{"id":7}}').key).toEqual({ id: 7 });
    const deleted = changeEventSchema.parse({ ...update, op: "d", after: null });
    if (!deleted) throw new Error("parsed as a tombstone");
    expect(toRowChange(deleted, null).key).toEqual({ id: 7 });
  });

  it("prints LSNs as PostgreSQL does", () => {
    expect(formatLsn(24_023_184)).toBe("0/16E9090");
    expect(formatLsn(2 ** 32 + 255)).toBe("1/FF");
  });
});

describe("connector config", () => {
  const settings = { KAFKA_TOPIC_PREFIX: "run1." };
  const names = cdcNames("Shop-EU", settings);
  const config = buildConnectorConfig({
    source: { connectionString: "postgresql://chat:p%40ss@127.0.0.1:15432/chat_test", schema: "t_abc" },
    tables: ["items", "order.lines"],
    names,
    snapshot: "no_data",
    partitions: 2,
  });

  it("names slot and publication for the source in PostgreSQL's alphabet", () => {
    expect(names.slot).toBe("cdc_shop_eu");
    expect(names.publication).toBe("cdc_shop_eu");
    expect(sourceOfTopicPrefix(names.topicPrefix, settings)).toBe("Shop-EU");
    expect(sourceOfTopicPrefix("other.cdc.Shop-EU", settings)).toBeUndefined();
  });

  it("captures only the named tables, with pgoutput and without a snapshot", () => {
    expect(config).toMatchObject({
      "plugin.name": "pgoutput",
      "snapshot.mode": "no_data",
      "database.password": "p@ss",
      "database.port": "15432",
      "slot.name": "cdc_shop_eu",
      "publication.autocreate.mode": "filtered",
      // Debezium's default skips truncates, which the consumer needs to see.
      "skipped.operations": "none",
    });
    const include = (config["table.include.list"] ?? "").split(",").map((pattern) => new RegExp(`^${pattern}$`));
    expect(include.some((pattern) => pattern.test("t_abc.items"))).toBe(true);
    expect(include.some((pattern) => pattern.test("t_abc.order.lines"))).toBe(true);
    // Escaped: a dot in the list is not "any character".
    expect(include.some((pattern) => pattern.test("t_abcXitems"))).toBe(false);
  });

  it("routes every table's topic into the events topic and leaves the heartbeat topic alone", () => {
    const route = new RegExp(`^${config["transforms.route.regex"]}$`);
    expect(route.test("run1.cdc.Shop-EU.t_abc.items")).toBe(true);
    expect(route.test("__debezium-heartbeat.run1.cdc.Shop-EU")).toBe(false);
    expect(config["transforms.route.replacement"]).toBe("run1.cdc-events");
  });

  it("reaches the database at the override host when Connect runs in another network", () => {
    const overridden = buildConnectorConfig({
      source: { connectionString: "postgresql://chat:chat@127.0.0.1:15432/chat", schema: "public" },
      tables: ["items"],
      names,
      snapshot: "initial",
      partitions: 2,
      databaseHost: "postgres:5432",
    });
    expect(overridden).toMatchObject({ "database.hostname": "postgres", "database.port": "5432" });
  });
});

describe("ConnectClient", () => {
  const answering = (status: number, body = "") =>
    new ConnectClient({ baseUrl: "http://connect.test/", fetch: async () => new Response(body || null, { status }) });

  it("maps Connect's answers to values and typed errors", async () => {
    await expect(answering(404).status("x")).resolves.toBeUndefined();
    await expect(answering(500, "boom").putConnector("x", {})).rejects.toBeInstanceOf(ConnectUnavailableError);
    await expect(answering(409, "rebalance").putConnector("x", {})).rejects.toBeInstanceOf(ConnectUnavailableError);
    await expect(answering(400, "wal_level").putConnector("x", {})).rejects.toBeInstanceOf(ConnectRequestError);
    const unreachable = new ConnectClient({
      baseUrl: "http://connect.test",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    await expect(unreachable.deleteConnector("x")).rejects.toBeInstanceOf(ConnectUnavailableError);
  });

  it("validates a status answer", async () => {
    const body = JSON.stringify({
      name: "c",
      connector: { state: "RUNNING", worker_id: "w" },
      tasks: [{ id: 0, state: "RUNNING", worker_id: "w" }],
      type: "source",
    });
    await expect(answering(200, body).status("c")).resolves.toMatchObject({ connector: { state: "RUNNING" } });
    await expect(answering(200, '{"name":"c"}').status("c")).rejects.toThrow();
  });
});
