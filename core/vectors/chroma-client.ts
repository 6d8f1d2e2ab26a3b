import { ChromaClient } from "chromadb";

export interface ChromaSettings {
  url: string;
  tenant: string;
  database: string;
}

/** Builds the Chroma HTTP client from one URL (the client itself wants host, port and ssl apart). */
export function createChromaClient(settings: ChromaSettings): ChromaClient {
  const url = new URL(settings.url);
  const ssl = url.protocol === "https:";
  return new ChromaClient({
    host: url.hostname,
    port: url.port ? Number(url.port) : ssl ? 443 : 80,
    ssl,
    tenant: settings.tenant,
    database: settings.database,
  });
}
