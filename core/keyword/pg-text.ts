/**
 * PostgreSQL text and jsonb hold neither NUL nor unpaired surrogates, which JSON and JavaScript
 * strings allow; both become U+FFFD, the same way on writes and in filters, so they still match.
 */
export function pgText(text: string): string {
  return text.replaceAll("\u0000", "\uFFFD").replace(/\p{Cs}/gu, "\uFFFD");
}

/** A flat metadata object as jsonb input, with every key and string value made storable. */
export function pgJson(metadata: Record<string, unknown>): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(metadata).map(([key, value]) => [pgText(key), typeof value === "string" ? pgText(value) : value]),
    ),
  );
}
