import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { maskUrlCredentials, redactedPaths } from "../../../core/logging/index.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino({ redact: { paths: redactedPaths, censor: "[redacted]" } }, stream) };
}

describe("logs never carry credentials", () => {
  it("redacts passwords, keys, inline connection params and auth headers", () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: "sekrit-p1",
        source: { password: "sekrit-p2", apiKey: "sekrit-k1" },
        connection_params: { host: "db", password: "sekrit-p3" },
        headers: { authorization: "Bearer sekrit-t1", "x-api-key": "sekrit-k2", accept: "json" },
      },
      "request",
    );
    const line = lines.join("");
    expect(line).not.toContain("sekrit");
    expect(line).toContain('"accept":"json"');
  });

  it("masks the user and password part of connection strings", () => {
    expect(maskUrlCredentials("postgresql://chat:s3cret@db:5432/app failed")).toBe(
      "postgresql://***@db:5432/app failed",
    );
    expect(maskUrlCredentials("mongodb://user@host/x")).toBe("mongodb://***@host/x");
  });
});
