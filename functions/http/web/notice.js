// One visible place for failures, so an error is never a silent blank: role="alert" makes a
// screen reader announce it, and a 401 opens the key panel where the fix is.

const notice = document.getElementById("notice");
const text = document.getElementById("notice-text");

document.getElementById("notice-close").addEventListener("click", clearNotice);

export function showNotice(message, { kind = "error" } = {}) {
  text.textContent = message;
  notice.dataset.kind = kind;
  notice.hidden = false;
}

export function clearNotice() {
  notice.hidden = true;
  text.textContent = "";
}

/** Shows an ApiError (or anything thrown) and points at the key panel when the key is the problem. */
export function showError(error, context) {
  if (error?.name === "AbortError") return;
  const message = error instanceof Error ? error.message : String(error);
  showNotice(context ? `${context}: ${message}` : message);
  if (error?.status === 401) promptForKey();
}

/** Opens the key panel and puts the cursor in the key field. */
export function promptForKey() {
  document.getElementById("key-panel").open = true;
  document.getElementById("api-key").focus();
}
