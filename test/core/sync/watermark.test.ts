import { Decimal128, Long, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { compareWatermarks, type Watermark, watermarkOf } from "../../../core/sync/index.js";

const later = (left: Watermark["value"], right: Watermark["value"]) =>
  Math.sign(compareWatermarks({ value: left }, { value: right }));

describe("watermarks", () => {
  it("orders numbers, big integers as text, decimals and timestamps as their values, not as text", () => {
    expect(later(10, 9)).toBe(1);
    expect(later("10", "9")).toBe(1);
    expect(later("9007199254740993", "9007199254740992")).toBe(1);
    expect(later("-5", "3")).toBe(-1);
    expect(later("10.5", "9.75")).toBe(1);
    // Another offset, the same instant order: 10:00 in Paris is before 10:00 UTC.
    expect(later("2026-01-01T10:00:00+01:00", "2026-01-01T09:30:00+00:00")).toBe(-1);
    // Microseconds below Date's milliseconds still order.
    expect(later("2026-01-01T10:00:00.123457+00:00", "2026-01-01T10:00:00.123456+00:00")).toBe(1);
    expect(later("2026-01-01T10:00:00+00:00", "2026-01-01T10:00:00+00:00")).toBe(0);
  });

  it("takes values a filter can compare and refuses the rest", () => {
    expect(watermarkOf(new Date("2026-03-01T00:00:00Z"))).toEqual({ value: "2026-03-01T00:00:00.000Z", as: "date" });
    expect(watermarkOf(42)).toEqual({ value: 42 });
    expect(watermarkOf(12345678901234567890n)).toEqual({ value: "12345678901234567890" });
    expect(watermarkOf(Long.fromString("9007199254740993"))).toEqual({ value: "9007199254740993" });
    expect(watermarkOf(Decimal128.fromString("1.50"))).toEqual({ value: "1.50" });
    expect(watermarkOf("2026-03-01")).toEqual({ value: "2026-03-01" });
    expect(watermarkOf(null)).toBeUndefined();
    expect(watermarkOf(true)).toBeUndefined();
    expect(watermarkOf(new ObjectId())).toBeUndefined();
    expect(watermarkOf({ nested: 1 })).toBeUndefined();
  });
});
