import { z } from "zod";
import { ConnectRequestError, ConnectUnavailableError } from "./errors.js";

const connectorStatusSchema = z.object({
  name: z.string(),
  connector: z.object({ state: z.string(), worker_id: z.string().optional(), trace: z.string().optional() }),
  tasks: z.array(
    z.object({ id: z.number(), state: z.string(), worker_id: z.string().optional(), trace: z.string().optional() }),
  ),
});

export type ConnectorStatus = z.infer<typeof connectorStatusSchema>;

export interface ConnectClientOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Kafka Connect's REST API, the few calls CDC needs; `fetch` and the URL are injected so tests can point it anywhere. */
export class ConnectClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  /** Aborted by close(): requests in flight stop, and later ones are refused. */
  private readonly closing = new AbortController();

  constructor(options: ConnectClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.fetch = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Creates the connector, or replaces its config (PUT is both in Connect's API). */
  async putConnector(name: string, config: Record<string, string>): Promise<void> {
    await this.request("PUT", `/connectors/${encodeURIComponent(name)}/config`, config);
  }

  /** The connector's and its tasks' states; undefined when Connect does not know it. */
  async status(name: string): Promise<ConnectorStatus | undefined> {
    const body = await this.request("GET", `/connectors/${encodeURIComponent(name)}/status`);
    return body === undefined ? undefined : connectorStatusSchema.parse(body);
  }

  /** Removes the connector; true when it existed. */
  async deleteConnector(name: string): Promise<boolean> {
    return (await this.request("DELETE", `/connectors/${encodeURIComponent(name)}`)) !== undefined;
  }

  /** Stops requests in flight; the client answers nothing after this. */
  close(): void {
    this.closing.abort();
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** 404 comes back as undefined; other refusals and unreachable servers are typed errors. */
  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    if (this.closed) throw new ConnectUnavailableError("kafka connect client is closed");
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { "content-type": "application/json", accept: "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]),
      });
    } catch (error) {
      throw new ConnectUnavailableError(`kafka connect at ${this.baseUrl} cannot be reached`, error);
    }
    const text = await response.text();
    if (response.status === 404) return undefined;
    if (!response.ok) {
      const message = text.slice(0, 500);
      // 409 is a rebalance in progress: Connect's own advice is to retry.
      if (response.status >= 500 || response.status === 409) {
        throw new ConnectUnavailableError(`kafka connect answered ${response.status}: ${message}`);
      }
      throw new ConnectRequestError(response.status, message);
    }
    return text ? JSON.parse(text) : {};
  }
}
