/** A response body as loosely typed JSON: tests assert on its shape, the schema lives in the app. */
// biome-ignore lint/suspicious/noExplicitAny: test bodies are asserted field by field
export type JsonBody = any;

export async function readJson(response: Response): Promise<JsonBody> {
  return response.json();
}
