// Wires the page: the API key panel, the two views (chosen by the URL's #hash, so reload and Back
// keep the place), and the sources both views need, loaded once.

import { apiKey, getJson, setApiKey } from "./api.js";
import { offerSources, setupChat } from "./chat.js";
import { clearNotice, showError, showNotice } from "./notice.js";
import { setupSources, showSources } from "./sources.js";

const views = { chat: "view-chat", sources: "view-sources" };

function setupKey() {
  const input = document.getElementById("api-key");
  const state = document.getElementById("key-state");
  const panel = document.getElementById("key-panel");
  const show = () => {
    state.textContent = apiKey() ? "API key: set" : "API key: none";
  };
  document.getElementById("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setApiKey(input.value.trim());
    input.value = "";
    show();
    panel.open = false;
    clearNotice();
    showNotice(apiKey() ? "The API key will be sent with every request." : "No API key is set.", { kind: "info" });
  });
  document.getElementById("key-forget").addEventListener("click", () => {
    setApiKey("");
    input.value = "";
    show();
    showNotice("The API key is forgotten.", { kind: "info" });
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !panel.open) return;
    panel.open = false;
    panel.querySelector("summary").focus();
  });
  show();
}

function showView() {
  const name = location.hash.slice(1) in views ? location.hash.slice(1) : "chat";
  for (const [view, id] of Object.entries(views)) {
    document.getElementById(id).hidden = view !== name;
    const link = document.getElementById(`nav-${view}`);
    if (view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  showSources(name === "sources");
}

async function loadSources() {
  try {
    const { sources } = await getJson("/sources");
    return sources;
  } catch (error) {
    showError(error, "Loading the sources failed");
    return [];
  }
}

setupKey();
setupChat();
window.addEventListener("hashchange", showView);
showView();
const sources = await loadSources();
offerSources(sources);
setupSources(sources);
