// Writes docs/openapi.json, the merged OpenAPI document of every function (`npm run openapi`).
// The deployed docs function serves this file, so its bundle carries no other function's code;
// test/functions/http/openapi-file.test.ts fails while the file differs from what the functions declare.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { httpFunctions } from "../functions/http/registry.js";
import { mergeOpenApi } from "../functions/http/shared/openapi.js";

const file = fileURLToPath(new URL("../docs/openapi.json", import.meta.url));
await writeFile(file, `${JSON.stringify(mergeOpenApi(httpFunctions.map((entry) => entry.app)), null, 2)}\n`);
console.log(`wrote ${file}`);
// The registry's apps hold lazy contexts that opened nothing; nothing keeps the process alive but timers.
process.exit(0);
