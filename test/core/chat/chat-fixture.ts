import { afterAll, beforeAll, beforeEach } from "vitest";
import type { AppContext } from "../../../core/context/index.js";
import { uniqueName } from "../../support/services.js";
import { releaseRun } from "../../support/test-run.js";

// Where the chat tests have always found it; it lives with the rest of a run's clean-up.
export { dropRedisPrefix } from "../../support/test-run.js";

/** A tiny product catalogue, as ingestion would store it: field lines as text, fields as metadata. */
export const products = [
  {
    id: "backpack",
    name: "Trailblazer Backpack",
    text: "name: Trailblazer Backpack\ndescription: A waterproof hiking backpack with a 30 litre capacity.\nprice: 89.99",
  },
  {
    id: "lamp",
    name: "Aurora Desk Lamp",
    text: "name: Aurora Desk Lamp\ndescription: An LED desk lamp with three brightness levels.\nprice: 34.50",
  },
  {
    id: "tent",
    name: "Summit Tent",
    text: "name: Summit Tent\ndescription: A two-person tent for alpine camping that weighs 2.1 kg.\nprice: 249.00",
  },
] as const;

/** Embeds and stores the catalogue under `source`, through the real embedder and Chroma. */
export async function seedProducts(context: AppContext, source: string): Promise<void> {
  if (!context.vectors) throw new Error("chroma is configured in tests");
  const embeddings = await context.embedder.embed(products.map((product) => product.text));
  await context.vectors.upsert(
    source,
    products.map((product, index) => ({
      id: `${source}:products:${product.id}`,
      embedding: embeddings[index] ?? [],
      document: product.text,
      metadata: { source, table: "products", name: product.name },
    })),
  );
}

/**
 * A chat test's run, registered on the enclosing describe block: the catalogue seeded under a
 * source of its own, in a context built over a started LLM double whose script is reset before
 * each test; the vectors, the Redis keys, the context and the double are gone afterwards.
 */
export function seededChat<Double extends { script(): void; close(): Promise<void> }>(
  name: string,
  start: () => Promise<Double>,
  createContext: (double: Double, redisPrefix: string) => AppContext,
): { readonly source: string; readonly prefix: string; readonly double: Double; readonly context: AppContext } {
  const source = uniqueName(name).replace(/-/g, "_");
  const prefix = `${uniqueName(`test-${name}`)}:`;
  let double: Double | undefined;
  let context: AppContext | undefined;
  beforeAll(async () => {
    double = await start();
    context = createContext(double, prefix);
    await seedProducts(context, source);
  });
  beforeEach(() => double?.script());
  afterAll(async () => {
    await releaseRun(context, { sources: [source], redisPrefix: prefix });
    await double?.close();
  });
  return {
    source,
    prefix,
    get double() {
      if (!double) throw new Error("the double starts in beforeAll");
      return double;
    },
    get context() {
      if (!context) throw new Error("the context is built in beforeAll");
      return context;
    },
  };
}
