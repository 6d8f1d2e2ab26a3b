import { Registry } from "prom-client";
import { describe, expect, it, vi } from "vitest";
import { CounterMetric, metrics, overflowLabel, renderMetrics } from "../../../core/metrics/index.js";

describe("label bounds", () => {
  it("collapses a label's values past its bound into one 'other' series", async () => {
    const registry = new Registry();
    const counter = new CounterMetric(
      { registry, push: { record: () => undefined } },
      { name: "test_requests_total", help: "test", labelNames: ["user"], maxValuesPerLabel: 3 },
    );
    for (let index = 0; index < 50; index++) counter.inc({ user: `user-${index}` });
    counter.inc({ user: "user-1" });
    const text = await registry.metrics();
    const series = text.split("\n").filter((line) => line.startsWith("test_requests_total{"));
    expect(series).toEqual([
      'test_requests_total{user="user-0"} 1',
      'test_requests_total{user="user-1"} 2',
      'test_requests_total{user="user-2"} 1',
      `test_requests_total{user="${overflowLabel}"} 47`,
    ]);
  });

  it("registers each metric once per process, however often the module is evaluated", async () => {
    vi.resetModules();
    const again = await import("../../../core/metrics/index.js");
    expect(again.metrics).toBe(metrics);
    const { body } = await renderMetrics();
    expect(body.match(/^# TYPE cwd_http_requests_total /gm)).toHaveLength(1);
  });
});
