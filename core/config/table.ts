import type { z } from "zod";
import { loadConfig } from "./load.js";
import { secretSettings, settingsSchema } from "./schema.js";

/** The markdown table of every setting, its default and meaning; docs/settings.md embeds it verbatim. */
export function settingsTable(): string {
  const defaults: Record<string, unknown> = loadConfig({ env: {} });
  const rows = Object.entries(settingsSchema.shape).map(([key, schema]) => {
    const value = defaults[key];
    const shown = value === undefined ? "—" : `\`${String(value)}\``;
    const secret = (secretSettings as readonly string[]).includes(key) ? " (secret)" : "";
    const description = (schema as z.ZodType).description ?? "";
    return `| \`${key}\` | ${shown} | ${description.replace(/\|/g, "\\|")}${secret && !description.includes("secret") ? secret : ""} |`;
  });
  return ["| Setting | Default | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}
