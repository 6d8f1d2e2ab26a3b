import type { Resource, ResourceTemplate } from "@modelcontextprotocol/sdk/types.js";
import type { AppContext } from "../context/index.js";
import { NotFoundError } from "../errors/index.js";
import { describeSchema } from "../sources/index.js";
import { describeTable } from "./table-tools.js";

const root = "chat-data://sources";
const json = "application/json";

export const resourceTemplates: ResourceTemplate[] = [
  {
    uriTemplate: `${root}/{source}`,
    name: "source",
    title: "A data source and its tables",
    mimeType: json,
  },
  {
    uriTemplate: `${root}/{source}/tables/{table}`,
    name: "table",
    title: "A table's columns, key and indexed vectors",
    mimeType: json,
  },
];

/**
 * Every source and each of its tables. A source that cannot be reached right now is listed
 * without its tables rather than failing the whole list.
 */
export async function listResources(context: AppContext): Promise<Resource[]> {
  const sources = context.sources.list();
  const perSource = await Promise.all(
    sources.map(async (source): Promise<Resource[]> => {
      const sourceUri = `${root}/${source.name}`;
      const own: Resource = {
        uri: sourceUri,
        name: source.name,
        title: `${source.name} (${source.kind})`,
        mimeType: json,
        ...(source.description ? { description: source.description } : {}),
      };
      const listed = await describeSchema(context, { source: source.name }).catch(() => undefined);
      const tables = listed && "tables" in listed ? listed.tables : [];
      return [
        own,
        ...tables.map((table) => ({
          uri: `${sourceUri}/tables/${encodeURIComponent(table.name)}`,
          name: `${source.name}/${table.name}`,
          mimeType: json,
        })),
      ];
    }),
  );
  return [{ uri: root, name: "sources", title: "The configured data sources", mimeType: json }, ...perSource.flat()];
}

/** The JSON behind a resource URI. */
export async function readResource(context: AppContext, uri: string): Promise<unknown> {
  if (uri === root) return { sources: context.sources.list() };
  const match = new RegExp(`^${root}/([^/]+)(?:/tables/([^/]+))?$`).exec(uri);
  const source = match?.[1] && decodeURIComponent(match[1]);
  if (!source) throw new NotFoundError(`no resource has the URI '${uri}'`, { uri });
  const table = match?.[2] && decodeURIComponent(match[2]);
  if (table) return describeTable(context, source, table);
  const listed = await describeSchema(context, { source });
  const info = context.sources.list().find((candidate) => candidate.name === source);
  return { ...info, tables: "tables" in listed ? listed.tables : [] };
}
