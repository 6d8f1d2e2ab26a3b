import { z } from "@hono/zod-openapi";

export const ComponentHealthSchema = z
  .object({
    status: z.enum(["up", "down", "disabled"]),
    required: z.boolean(),
    latency_ms: z.number().optional(),
    detail: z.string().optional(),
    error: z.string().optional(),
  })
  .openapi("ComponentHealth");

export const HealthSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    components: z.record(z.string(), ComponentHealthSchema),
    unavailable: z.array(z.string()).openapi({ description: "Required components that are down" }),
    timestamp: z.string().openapi({ example: "2026-11-23T23:59:00.000Z" }),
  })
  .openapi("Health");
