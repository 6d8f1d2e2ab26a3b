import type { MetadataFilters } from "../vectors/index.js";

/** The values a chat filter allows for a field; undefined when it allows any. */
export function allowedValues(filter: MetadataFilters[string] | undefined): string[] | undefined {
  if (filter === undefined) return undefined;
  return typeof filter === "object" && filter !== null ? filter.$in.map(String) : [String(filter)];
}
