import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { httpFunctions } from "../../../functions/http/registry.js";
import { mergeOpenApi } from "../../../functions/http/shared/openapi.js";

describe("docs/openapi.json, the document the deployed docs function serves", () => {
  it("is the merge of what every function declares", async () => {
    const built = JSON.parse(await readFile(new URL("../../../docs/openapi.json", import.meta.url), "utf8"));
    const declared = JSON.parse(JSON.stringify(mergeOpenApi(httpFunctions.map((entry) => entry.app))));
    expect(built, "run `npm run openapi` and commit docs/openapi.json").toEqual(declared);
  });
});
