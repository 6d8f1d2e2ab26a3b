import { createRoute, z } from "@hono/zod-openapi";
import { handle } from "hono/aws-lambda";
import { defaultProvider, providersDefaultFirst } from "../../core/llm/index.js";
import { contextWith } from "../shared/default-context.js";
import { type ContextProvider, createFunctionApp, httpCapabilities } from "./shared/create-app.js";
import { errorResponses } from "./shared/schemas.js";

const ProviderSchema = z
  .object({
    name: z.enum(["extractive", "gemini", "openai"]),
    model: z.string(),
    remote: z.boolean().openapi({ description: "Whether it calls out over the network; extractive runs offline" }),
    default: z.boolean(),
  })
  .openapi("LlmProvider");

const providersRoute = createRoute({
  method: "get",
  path: "/api/llm/providers",
  tags: ["llm"],
  summary: "The configured LLM providers; a chat request may name any of them",
  responses: {
    200: {
      description: "Configured providers, the default first",
      content: { "application/json": { schema: z.object({ providers: z.array(ProviderSchema) }) } },
    },
    ...errorResponses,
  },
});

const currentRoute = createRoute({
  method: "get",
  path: "/api/llm/current",
  tags: ["llm"],
  summary: "The default LLM provider",
  responses: {
    200: { description: "The default provider", content: { "application/json": { schema: ProviderSchema } } },
    ...errorResponses,
  },
});

/** What this function uses; its bundle carries only these capabilities' libraries. */
const capabilities = httpCapabilities({});

export function createLlmApp(getContext: ContextProvider) {
  const app = createFunctionApp(getContext, { capabilities });

  app.openapi(providersRoute, (c) => {
    return c.json({ providers: providersDefaultFirst(c.var.context.settings) }, 200);
  });

  app.openapi(currentRoute, (c) => c.json({ ...defaultProvider(c.var.context.settings), default: true }, 200));

  return app;
}

export const app = createLlmApp(contextWith(capabilities));
export const handler = handle(app);
