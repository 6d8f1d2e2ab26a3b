import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../../core/errors/index.js";
import { checkHealth } from "../../../core/health/index.js";

describe("checkHealth", () => {
  it("reports up, down and disabled components and names the required ones that are down", async () => {
    const failures: string[] = [];
    const report = await checkHealth(
      [
        { name: "fine", required: true, probe: async () => "v1" },
        { name: "broken", required: true, probe: async () => Promise.reject(new Error("ECONNREFUSED 10.0.0.1:1")) },
        { name: "optional", required: false, probe: async () => Promise.reject(new Error("nope")) },
        { name: "off", required: true, note: "set X to enable" },
      ],
      { timeoutMs: 500, onFailure: (name) => failures.push(name) },
    );
    expect(report.status).toBe("unavailable");
    expect(report.unavailable).toEqual(["broken"]);
    expect(report.components.fine).toMatchObject({ status: "up", detail: "v1" });
    expect(report.components.broken).toMatchObject({ status: "down", error: "unreachable or failing" });
    // Internal addresses from raw errors never reach the public report.
    expect(JSON.stringify(report)).not.toContain("10.0.0.1");
    expect(report.components.off).toMatchObject({ status: "disabled", required: false, detail: "set X to enable" });
    expect(failures.sort()).toEqual(["broken", "optional"]);
  });

  it("bounds a hanging probe by the timeout and aborts it", async () => {
    let aborted = false;
    const started = Date.now();
    const report = await checkHealth(
      [
        {
          name: "hangs",
          required: true,
          probe: (signal) =>
            new Promise(() => {
              signal.addEventListener("abort", () => {
                aborted = true;
              });
            }),
        },
      ],
      { timeoutMs: 100 },
    );
    // The probe never answers: a report at all is the cut, and it says so; when is not under test.
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(report.components.hangs).toMatchObject({ status: "down", error: "no answer within 100 ms" });
    expect(aborted).toBe(true);
  });

  it("shows the message of a typed core error, which is written for users", async () => {
    const report = await checkHealth(
      [{ name: "model", required: true, probe: async () => Promise.reject(new InvalidInputError("run setup first")) }],
      { timeoutMs: 500 },
    );
    expect(report.components.model?.error).toBe("run setup first");
    expect(report.status).toBe("unavailable");
  });
});
