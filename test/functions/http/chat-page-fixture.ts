import type { ServerType } from "@hono/node-server";
import { serve } from "@hono/node-server";
import type { Page } from "playwright-core";
import { createLocalApp } from "../../../functions/local/server.js";
import { setDefaultContext } from "../../../functions/shared/default-context.js";
import { launchChromium } from "../../support/browser.js";
import { type OpenAiDouble, startOpenAiDouble } from "../../support/llm-doubles/openai-double.js";
import { freePort } from "../../support/processes.js";
import { type ToolsContext, toolsContext } from "./chat-tools-fixture.js";

export interface ToolsChatPage {
  double: OpenAiDouble;
  fixture: ToolsContext;
  page: Page;
  /** The local server's address, `http://127.0.0.1:<port>`. */
  base: string;
  close(): Promise<void>;
}

/**
 * The whole local app over a tools context whose model is an OpenAI-compatible double, served on a
 * free port and opened in Chromium, so a test drives the chat page as a user would.
 */
export async function openToolsChatPage(name: string): Promise<ToolsChatPage> {
  const double = await startOpenAiDouble();
  const fixture = await toolsContext(name, { OPENAI_BASE_URL: double.baseUrl, LLM_PROVIDER: "openai" });
  setDefaultContext(fixture.context);
  const port = await freePort();
  const server: ServerType = serve({ fetch: createLocalApp().fetch, hostname: "127.0.0.1", port });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  return {
    double,
    fixture,
    page,
    base: `http://127.0.0.1:${port}`,
    async close() {
      await browser.close();
      const closed = new Promise((resolve) => server.close(resolve));
      if ("closeAllConnections" in server) server.closeAllConnections();
      await closed;
      await fixture.close();
      await double.close();
    },
  };
}
