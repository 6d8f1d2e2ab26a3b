import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ingestionRequestSchema } from "../../../core/messaging/index.js";
import { decodeKafkaEvent, encodeKafkaEvent } from "../../../functions/events/shared/lambda-event.js";

const mskEvent = JSON.parse(readFileSync(new URL("../../events/msk-data-ingestion.json", import.meta.url), "utf8"));

describe("the Lambda Kafka event", () => {
  it("decodes an MSK event: records by topic-partition, base64 keys and values, bytes kept", () => {
    const records = decodeKafkaEvent(mskEvent);
    expect(records.map((record) => [record.partition, record.offset])).toEqual([
      [0, 15],
      [0, 16],
      [1, 3],
    ]);
    expect(records[0]?.key).toBe("shop");
    expect(ingestionRequestSchema.parse(JSON.parse(records[0]?.value?.toString() ?? ""))).toMatchObject({
      table: "products",
    });
    expect(records[1]?.value?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    expect(records[2]).toMatchObject({ key: null, value: null });
  });

  it("round-trips what the local runner builds", () => {
    const event = encodeKafkaEvent([
      { topic: "t", partition: 1, offset: 7, key: "k", value: Buffer.from("v") },
      { topic: "t", partition: 0, offset: 2, key: null, value: "w" },
    ]);
    expect(Object.keys(event.records).sort()).toEqual(["t-0", "t-1"]);
    expect(decodeKafkaEvent(event).map((record) => record.value?.toString())).toEqual(["v", "w"]);
  });

  it("refuses something that is not a Kafka event", () => {
    expect(() => decodeKafkaEvent({ Records: [] })).toThrow();
  });
});
