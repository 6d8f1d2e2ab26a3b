import { answer } from "../../core/chat/index.js";
import type { AppContext } from "../../core/context/index.js";
import { sampleQuestion } from "../../core/ingest/index.js";

/** What `npm start` suggests asking next; answered from the samples' delivery article (KB-0003). */
export const suggestedQuestion = "How long does standard delivery take?";

/**
 * The main job made visible: once the samples are in, `npm start` asks one question about them and
 * prints the answer with its sources, and how to ask another. Nothing is saved to any history.
 * Returns what it printed, or undefined when the sample source is not configured or not answerable.
 */
export async function askSampleQuestion(context: AppContext, base: string): Promise<string | undefined> {
  if (!context.vectors || !context.sources.list().some((source) => source.name === sampleQuestion.source)) {
    return undefined;
  }
  try {
    const reply = await answer(
      { ...context, redis: undefined, settings: { ...context.settings, CHAT_HISTORY_REQUIRED: false } },
      {
        userName: "npm-start",
        message: sampleQuestion.message,
        maxResults: 3,
        includeHistory: false,
        // Orders name products too (their lines); the question is about the catalogue.
        filters: { source: sampleQuestion.source, table: sampleQuestion.table },
      },
    );
    const sources = reply.sources.map(
      (source) =>
        `  [${source.n}] ${String(source.metadata.name ?? source.metadata.title ?? "")} (score ${source.relevance_score.toFixed(2)})`,
    );
    // A question the default (extractive) setup answers from the samples; questions of quantity
    // ("the cheapest…") need LLM_PROVIDER=gemini or openai, and the extractive answer says so.
    const ask = `curl -s ${base}/chat -H 'content-type: application/json' -d '{"user_name":"me","message":"${suggestedQuestion}"}'`;
    const text = [
      `Asked the sample data: ${sampleQuestion.message}`,
      `Answer (${reply.provider}): ${reply.response}`,
      "Sources:",
      ...sources,
      `Ask your own: ${ask}   or open ${base}/app`,
    ].join("\n");
    console.log(`\n${text}\n`);
    return text;
  } catch (error) {
    context.logger.warn({ err: error }, "the sample question was not answered");
    return undefined;
  }
}
