import { AppError } from "../errors/index.js";

export type ComponentState = "up" | "down" | "disabled";

/** How to check one component; a probe resolves with a short detail (a version) or throws. */
export interface ComponentProbe {
  name: string;
  /** A required component that is down makes the whole service unavailable (503). */
  required: boolean;
  /** Absent when the component is not configured: it is then reported `disabled`. */
  probe?: (signal: AbortSignal) => Promise<string | undefined>;
  /** Shown for a disabled component, e.g. which setting enables it. */
  note?: string;
}

export interface ComponentHealth {
  status: ComponentState;
  required: boolean;
  latency_ms?: number;
  detail?: string;
  error?: string;
}

export interface HealthReport {
  status: "ok" | "unavailable";
  components: Record<string, ComponentHealth>;
  /** Required components that are down. */
  unavailable: string[];
}

class ProbeTimeoutError extends Error {}

/** Typed core errors carry messages written for users (what to run, which setting); others may hold internal addresses. */
function publicReason(error: unknown, timeoutMs: number): string {
  if (error instanceof ProbeTimeoutError) return `no answer within ${timeoutMs} ms`;
  if (error instanceof AppError) return error.message;
  return "unreachable or failing";
}

/**
 * Runs every probe at once, each bounded by `timeoutMs`, and never throws.
 * `onFailure` receives the underlying error (for logs); the report itself carries
 * only a short reason, since /health is public and internal addresses stay private.
 */
export async function checkHealth(
  probes: readonly ComponentProbe[],
  options: { timeoutMs: number; onFailure?: (name: string, error: unknown) => void },
): Promise<HealthReport> {
  const entries = await Promise.all(
    probes.map(async (component): Promise<[string, ComponentHealth]> => {
      if (!component.probe) {
        return [
          component.name,
          { status: "disabled", required: false, ...(component.note ? { detail: component.note } : {}) },
        ];
      }
      const started = performance.now();
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new ProbeTimeoutError());
        }, options.timeoutMs);
      });
      try {
        const detail = await Promise.race([component.probe(controller.signal), timeout]);
        const latency = Math.round(performance.now() - started);
        return [
          component.name,
          { status: "up", required: component.required, latency_ms: latency, ...(detail ? { detail } : {}) },
        ];
      } catch (error) {
        options.onFailure?.(component.name, error);
        const reason = publicReason(error, options.timeoutMs);
        return [
          component.name,
          {
            status: "down",
            required: component.required,
            latency_ms: Math.round(performance.now() - started),
            error: reason,
          },
        ];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const components = Object.fromEntries(entries);
  const unavailable = entries.filter(([, health]) => health.required && health.status === "down").map(([name]) => name);
  return { status: unavailable.length === 0 ? "ok" : "unavailable", components, unavailable };
}
