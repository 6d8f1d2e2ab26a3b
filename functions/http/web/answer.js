// Getting one answer into its bubble: streamed from POST /chat/stream, or whole from POST /chat
// when the stream has no route here. Deployed, an API gateway buffers responses, so the stream is
// served by a function URL of its own; the server names it in a meta tag (CHAT_STREAM_URL).

import { ApiError, readEvents, request, sendJson } from "./api.js";
import { renderToolCalls } from "./queries.js";
import { renderAnswerText, renderSourceCards } from "./render.js";

/**
 * Fills the bubble's parts ({id, item, text, queries, sources}) as the reply arrives and resolves with
 * the final text; rejects with an ApiError (an HTTP failure or a mid-stream `error` event) or
 * an AbortError when the user stops it.
 */
export async function fetchAnswer(body, answer, signal) {
  try {
    return await streamAnswer(body, answer, signal);
  } catch (error) {
    const routeMissing = error?.status === 404 && (error.code === "http_404" || error.code === "not_found");
    if (!routeMissing) throw error;
    return wholeAnswer(body, answer, signal);
  }
}

const streamBase = document.querySelector('meta[name="chat-stream-url"]')?.getAttribute("content") ?? "";

async function streamAnswer(body, answer, signal) {
  const response = await request(`${streamBase}/chat/stream`, {
    method: "POST",
    body,
    signal,
    accept: "text/event-stream",
  });
  let received = "";
  let deltas = 0;
  let done;
  let sources = [];
  const calls = [];
  for await (const { data } of readEvents(response)) {
    if (data === "[DONE]") break;
    const part = JSON.parse(data);
    if (part.type === "sources") {
      sources = part.sources;
      renderSourceCards(answer.sources, answer.id, sources);
    } else if (part.type === "tool_result") {
      calls.push(part);
      renderToolCalls(answer.queries, answer.id, calls);
      // Rows a search found join the cards under their new numbers; ones already shown keep theirs.
      const found = (part.result?.sources ?? []).filter((source) => !sources.some((known) => known.n === source.n));
      if (found.length > 0) {
        sources = [...sources, ...found];
        renderSourceCards(answer.sources, answer.id, sources);
      }
    } else if (part.type === "content") {
      received += part.delta;
      deltas += 1;
      // How many deltas built the text: lets a test see the answer was streamed, not pasted.
      answer.item.dataset.deltas = String(deltas);
      renderAnswerText(answer.text, received, answer.id);
    } else if (part.type === "done") done = part;
    else if (part.type === "error") {
      throw new ApiError(200, part.error?.code ?? "stream_error", part.error?.message ?? "The answer failed.");
    }
  }
  if (!done) throw new ApiError(200, "stream_ended", "The answer ended before it was complete.");
  renderAnswerText(answer.text, done.response, answer.id);
  return done.response;
}

async function wholeAnswer(body, answer, signal) {
  const reply = await sendJson("POST", "/chat", body, { signal });
  renderSourceCards(answer.sources, answer.id, reply.sources);
  renderToolCalls(answer.queries, answer.id, reply.tool_calls ?? []);
  renderAnswerText(answer.text, reply.response, answer.id);
  return reply.response;
}
