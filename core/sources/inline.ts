import { z } from "zod";
import type { SourceConfig } from "../config/index.js";
import { AppError, InvalidInputError } from "../errors/index.js";

/** Lone surrogates cannot be URI-encoded into a connection string: refused as input, not failed later. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !/\p{Cs}/u.test(value), "text must be valid Unicode (no lone surrogates)");

/** Connection settings a seed-style client sends in the request. Never stored, logged or echoed. */
export const connectionParamsSchema = z
  .object({
    host: text(255).optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    database: text(255).optional(),
    user: text(255).optional(),
    username: text(255).optional(),
    password: text(1_000).optional(),
    connection_string: text(4_000).optional(),
    schema: text(255).optional(),
  })
  .strict();

export type ConnectionParams = z.infer<typeof connectionParamsSchema>;

export class InlineConnectionsDisabledError extends AppError {
  constructor() {
    super("connection_params are disabled on this server; name a configured source instead (GET /sources)", {
      code: "inline_connections_disabled",
    });
    this.name = "InlineConnectionsDisabledError";
  }
}

/** A one-request source from inline params (only when ALLOW_INLINE_CONNECTIONS is on). */
export function inlineSourceConfig(kind: "postgresql" | "mongodb", params: ConnectionParams): SourceConfig {
  if (kind === "mongodb") {
    const url =
      params.connection_string ?? (params.host ? `mongodb://${params.host}:${params.port ?? 27017}/` : undefined);
    if (!url || !params.database)
      throw new InvalidInputError("connection_params for mongodb need connection_string (or host) and database");
    return { name: "inline", kind, url, database: params.database };
  }
  let connectionString = params.connection_string;
  if (!connectionString) {
    if (!params.host || !params.database) {
      throw new InvalidInputError("connection_params for postgresql need connection_string, or host and database");
    }
    const url = new URL("postgresql://placeholder");
    url.hostname = params.host;
    if (params.port) url.port = String(params.port);
    url.pathname = `/${encodeURIComponent(params.database)}`;
    const user = params.user ?? params.username;
    if (user) url.username = encodeURIComponent(user);
    if (params.password) url.password = encodeURIComponent(params.password);
    connectionString = url.toString();
  }
  return { name: "inline", kind, connectionString, schema: params.schema ?? "public", max_connections: 1 };
}
