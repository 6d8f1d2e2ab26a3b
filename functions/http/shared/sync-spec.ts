import type { Context } from "hono";
import type { IngestRequest } from "../../../core/ingest/index.js";
import { rememberIngestion } from "../../../core/sync/index.js";
import type { AppEnv } from "./create-app.js";

/**
 * Records how the table became documents, so a later POST /sync names only the table. The
 * ingestion itself succeeded (or is queued), so failing to record it is logged, not answered.
 */
export async function recordSyncSpec(c: Context<AppEnv>, request: IngestRequest): Promise<void> {
  await rememberIngestion(c.var.context, request).catch((error: unknown) =>
    c.var.logger.warn({ err: error, source: request.source, table: request.table }, "sync spec not recorded"),
  );
}
