// `npm run ingest -- --source NAME --table T --text-fields a,b [--fields x,y] [--max-rows N]`
// Local use: runs the same ingestion as POST /ingest-data, with a progress line on the terminal.
import { parseArgs } from "node:util";
import { createAppContext } from "../../core/context/index.js";
import { type IngestProgress, ingestTable } from "../../core/ingest/index.js";
import { createLogger } from "../../core/logging/index.js";
import { recordSyncSpec } from "../../core/sync/index.js";
import { loadLocalSettings } from "./settings.js";

const usage = "usage: npm run ingest -- --source NAME --table TABLE --text-fields a,b [--fields x,y] [--max-rows N]";

function progressLine(progress: IngestProgress, started: number): string {
  const seconds = (performance.now() - started) / 1000;
  const rate = progress.chunksStored / Math.max(seconds, 0.001);
  const share = progress.totalRows ? Math.min(1, progress.rowsRead / progress.totalRows) : 0;
  const width = 30;
  const bar = "#".repeat(Math.round(share * width)).padEnd(width, ".");
  const remaining = rate > 0 ? Math.max(0, progress.totalRows - progress.chunksStored) / rate : Number.NaN;
  const eta = Number.isFinite(remaining) ? `${Math.round(remaining)}s` : "?";
  return `[${bar}] ${progress.rowsRead}/${progress.totalRows} rows read, ${progress.chunksStored} embedded, ${rate.toFixed(1)} docs/s, ETA ${eta}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      source: { type: "string" },
      table: { type: "string" },
      "text-fields": { type: "string" },
      fields: { type: "string" },
      "max-rows": { type: "string" },
    },
  });
  const list = (value: string | undefined) =>
    value
      ?.split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  const textFields = list(values["text-fields"]);
  if (!values.source || !values.table || !textFields?.length) {
    console.error(usage);
    return 2;
  }
  const settings = loadLocalSettings();
  // The progress line is the CLI's output; request-style info logs would only interleave with it.
  const context = createAppContext(settings, createLogger({ ...settings, LOG_LEVEL: "warn" }));
  if (!context.vectors) {
    console.error("CHROMA_URL is not set: nothing to ingest into");
    return 2;
  }
  const started = performance.now();
  try {
    const request = {
      source: values.source,
      table: values.table,
      textFields,
      fields: list(values.fields),
      maxRows: values["max-rows"] ? Number(values["max-rows"]) : undefined,
    };
    const summary = await ingestTable({ ...context, vectors: context.vectors }, request, {
      limit: Number.MAX_SAFE_INTEGER,
      onProgress: (progress) => process.stderr.write(`\r${progressLine(progress, started)}`),
    });
    process.stderr.write("\n");
    // As /ingest-data does, so a later `POST /sync/{source}` names only the table.
    await recordSyncSpec(context, request);
    console.log(JSON.stringify(summary));
    return 0;
  } catch (error) {
    process.stderr.write("\n");
    console.error(`ingestion failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await context.close();
  }
}

process.exit(await main());
