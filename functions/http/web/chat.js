// The chat view: history from GET /chat/history, the conversation, the question form, and
// following an answer's [n] markers to its numbered source cards.

import { fetchAnswer } from "./answer.js";
import { getJson, sendJson } from "./api.js";
import { promptForKey, showError } from "./notice.js";
import { renderToolCalls } from "./queries.js";
import { renderAnswerText } from "./render.js";

const userStorage = "cwd.userName";
const sourceStorage = "cwd.chatSource";
const userInput = document.getElementById("user-name");
const sourceSelect = document.getElementById("chat-source");
const providerSelect = document.getElementById("chat-provider");
const conversation = document.getElementById("conversation");
const empty = document.getElementById("empty-conversation");
const older = document.getElementById("older");
const status = document.getElementById("chat-status");
const form = document.getElementById("chat-form");
const question = document.getElementById("question");
const send = document.getElementById("send");
const stop = document.getElementById("stop");

let messageCount = 0;
let nextBefore = null;
let running;
// The load that fills the conversation for the current name. A question waits for it, so the
// history cannot land on top of an answer, nor be read after that answer was saved.
let freshHistory = Promise.resolve();

export function setupChat() {
  userInput.value = localStorage.getItem(userStorage) || `guest-${Math.random().toString(36).slice(2, 8)}`;
  localStorage.setItem(userStorage, userInput.value);
  userInput.addEventListener("change", () => {
    if (!userInput.reportValidity()) return;
    localStorage.setItem(userStorage, userInput.value);
    freshHistory = loadHistory();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (text && !running && userInput.reportValidity()) void ask(text);
  });
  question.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  stop.addEventListener("click", () => running?.abort());
  document.getElementById("clear-history").addEventListener("click", () => void clear());
  older.addEventListener("click", () => void loadHistory({ before: nextBefore }));
  conversation.addEventListener("click", followCitation);
  void loadProviders();
  freshHistory = loadHistory();
}

/** The chat's source filter offers the configured sources; app.js loads them once for both views. */
export function offerSources(sources) {
  const chosen = localStorage.getItem(sourceStorage) ?? "";
  for (const source of sources) {
    sourceSelect.append(new Option(`${source.name} (${source.kind})`, source.name, false, source.name === chosen));
  }
  sourceSelect.addEventListener("change", () => localStorage.setItem(sourceStorage, sourceSelect.value));
}

async function loadProviders() {
  try {
    const { providers } = await getJson("/api/llm/providers");
    providerSelect.replaceChildren(
      ...providers.map((provider) => {
        const label = `${provider.name}${provider.remote ? "" : " (offline)"}`;
        return new Option(label, provider.name, provider.default, provider.default);
      }),
    );
  } catch (error) {
    // The server picks its default when none is named, so chat still works without the list.
    providerSelect.replaceChildren(new Option("server default", ""));
    showError(error, "Loading the answer providers failed");
  }
}

async function loadHistory({ before } = {}) {
  const userName = userInput.value;
  if (!userInput.checkValidity()) return;
  const query = new URLSearchParams({ limit: "50" });
  if (before !== undefined && before !== null) query.set("before", String(before));
  try {
    const page = await getJson(`/chat/history/${encodeURIComponent(userName)}?${query}`);
    if (userName !== userInput.value) return; // The name changed while this page was on its way.
    const items = page.messages.map((message) =>
      message.role === "user"
        ? userMessage(message.content)
        : assistantMessage(message.provider, { text: message.content, state: "done", calls: message.tool_calls }).item,
    );
    if (before === undefined) conversation.replaceChildren(...items);
    else conversation.prepend(...items);
    nextBefore = page.next_before;
    older.hidden = nextBefore === null;
    refreshEmpty();
  } catch (error) {
    showError(error, "Loading your history failed");
  }
}

async function clear() {
  const userName = userInput.value;
  if (!userInput.reportValidity()) return;
  if (!window.confirm(`Delete the conversation history of “${userName}”?`)) return;
  try {
    await sendJson("DELETE", `/chat/history/${encodeURIComponent(userName)}`);
    conversation.replaceChildren();
    nextBefore = null;
    older.hidden = true;
    refreshEmpty();
    status.textContent = "History cleared.";
  } catch (error) {
    showError(error, "Clearing the history failed");
  }
}

async function ask(text) {
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  await freshHistory;
  conversation.append(userMessage(text));
  const answer = assistantMessage(providerSelect.value || undefined, { state: "streaming" });
  conversation.append(answer.item);
  refreshEmpty();
  question.value = "";
  answer.item.scrollIntoView({ block: "nearest" });

  const body = { user_name: userInput.value, message: text };
  if (sourceSelect.value) body.filters = { source: sourceSelect.value };
  if (providerSelect.value) body.provider = providerSelect.value;
  const started = performance.now();
  try {
    await fetchAnswer(body, answer, controller.signal);
    answer.item.dataset.state = "done";
    answer.meta.textContent = `Answered in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  } catch (error) {
    if (error?.name === "AbortError") {
      answer.item.dataset.state = "stopped";
      answer.meta.textContent = "Stopped. This exchange is not saved.";
    } else {
      fail(answer, error.message);
      if (error.status === 401) promptForKey();
      // Nothing was answered, so give the question back for another try.
      if (!answer.item.dataset.deltas) question.value = text;
    }
  } finally {
    running = undefined;
    setBusy(false);
    status.textContent = answer.item.dataset.state === "done" ? "Answer complete." : "No complete answer.";
  }
}

function fail(answer, message) {
  answer.item.dataset.state = "error";
  const line = document.createElement("p");
  line.className = "inline-error";
  line.setAttribute("role", "alert");
  line.textContent = message;
  answer.meta.replaceChildren(line);
}

function setBusy(busy) {
  conversation.setAttribute("aria-busy", String(busy));
  send.disabled = busy;
  stop.hidden = !busy;
  if (busy) status.textContent = "Answering…";
  // Back to the question, unless something (the key panel after a 401) asked for focus meanwhile.
  else if ([stop, send, question, document.body].includes(document.activeElement)) question.focus();
}

function userMessage(text) {
  const item = document.createElement("li");
  item.className = "message message-user";
  const who = document.createElement("p");
  who.className = "who";
  who.textContent = "You";
  const body = document.createElement("p");
  body.className = "text";
  body.textContent = text;
  item.append(who, body);
  return item;
}

/** An answer bubble; its id prefixes its cards' ids so [n] in one answer never links to another's. */
function assistantMessage(provider, { text = "", state, calls = [] }) {
  messageCount += 1;
  const id = `answer-${messageCount}`;
  const item = document.createElement("li");
  item.className = "message message-assistant";
  item.id = id;
  item.dataset.state = state;
  const who = document.createElement("p");
  who.className = "who";
  who.textContent = provider ? `Answer · ${provider}` : "Answer";
  const textElement = document.createElement("div");
  textElement.className = "text";
  const meta = document.createElement("div");
  meta.className = "meta";
  const queries = document.createElement("div");
  queries.className = "queries";
  const sources = document.createElement("div");
  sources.className = "sources";
  item.append(who, textElement, queries, sources, meta);
  // The query cards first, so a stored answer's [Qn] finds its card to link to.
  renderToolCalls(queries, id, calls);
  renderAnswerText(textElement, text, id);
  return { id, item, text: textElement, meta, queries, sources };
}

function followCitation(event) {
  const link = event.target.closest("a.cite");
  if (!link) return;
  const card = document.getElementById(link.hash.slice(1));
  if (!card) return;
  event.preventDefault();
  const details = card.querySelector("details");
  if (details) details.open = true;
  const motion = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  card.scrollIntoView({ block: "nearest", behavior: motion });
  card.focus({ preventScroll: true });
  card.classList.remove("highlight");
  void card.offsetWidth; // Restart the highlight animation when the same card is followed twice.
  card.classList.add("highlight");
}

function refreshEmpty() {
  empty.hidden = conversation.childElementCount > 0;
}
