import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "..");

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(root, folder)).flatMap((entry) => {
    const relative = path.join(folder, entry);
    if (statSync(path.join(root, relative)).isDirectory()) return sourceFiles(relative);
    return relative.endsWith(".ts") ? [relative] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(path.join(root, file), "utf8").matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s+"([^"]+)"/g)].map(
    (match) => match[1] ?? "",
  );

describe("dependency rules", () => {
  it("keeps core free of HTTP, Lambda and the runners", () => {
    const offenders = sourceFiles("core").flatMap((file) =>
      importsOf(file)
        .filter((target) => /^(hono|@hono\/|aws-lambda)/.test(target) || target.includes("functions/"))
        .map((target) => `${file} imports ${target}`),
    );
    // Lambda's event shapes (a Kafka event's `eventSource`, the streaming runtime's `awslambda`) and CloudWatch's
    // Embedded Metric Format (its `_aws` directive; the writer is functions/shared/emf.ts) belong to the adapters.
    const lambdaShapes = sourceFiles("core").filter((file) =>
      /eventSource|awslambda|_aws\b|CloudWatchMetrics|EmfBuffer/.test(readFileSync(path.join(root, file), "utf8")),
    );
    expect([...offenders, ...lambdaShapes]).toEqual([]);
  });

  it("lets only core/config read process.env", () => {
    const offenders = [...sourceFiles("core"), ...sourceFiles("functions")].filter(
      (file) =>
        !file.startsWith(path.join("core", "config")) &&
        readFileSync(path.join(root, file), "utf8").includes("process.env"),
    );
    expect(offenders).toEqual([]);
  });

  it("has functions import core only through each area's index", () => {
    const deep = sourceFiles("functions").flatMap((file) =>
      importsOf(file)
        .filter((target) => /\/core\/[^/]+\/(?!index\.js$)/.test(target))
        .map((target) => `${file} imports ${target}`),
    );
    expect(deep).toEqual([]);
  });
});
