// Answer text and source cards, built with text nodes only: answers and documents come from the
// data and the model, so nothing of theirs is ever parsed as HTML.

/** Metadata every document carries that says nothing to a reader (or is shown elsewhere on the card). */
const bookkeeping = new Set(["source", "table", "row_key", "content_hash", "chunk", "chunks"]);
const fieldsShown = 6;

/** Puts `text` into `container`, turning each [n] or [Qn] with a card in this answer into a link to it. */
export function renderAnswerText(container, text, answerId) {
  const parts = text.split(/\[(Q?\d+)\]/);
  const nodes = [];
  for (const [index, part] of parts.entries()) {
    if (index % 2 === 0) {
      if (part) nodes.push(document.createTextNode(part));
      continue;
    }
    const query = part.startsWith("Q");
    const cardId = query ? `${answerId}-query-${part}` : `${answerId}-source-${part}`;
    // Looked up within the answer's own bubble, which may not be in the page yet (history being built).
    const scope = container.parentElement ?? document;
    if (!scope.querySelector(`[id="${cardId}"]`)) {
      nodes.push(document.createTextNode(`[${part}]`));
      continue;
    }
    const link = document.createElement("a");
    link.className = "cite";
    link.href = `#${cardId}`;
    link.textContent = `[${part}]`;
    link.setAttribute("aria-label", query ? `query ${part}` : `source ${part}`);
    nodes.push(link);
  }
  container.replaceChildren(...nodes);
}

/** One numbered card per cited document: where it comes from, its key fields and its score. */
export function renderSourceCards(container, answerId, sources) {
  if (sources.length === 0) {
    container.replaceChildren();
    return;
  }
  const heading = document.createElement("h2");
  heading.className = "sources-heading";
  heading.textContent = `Sources (${sources.length})`;
  const list = document.createElement("ol");
  list.className = "source-cards";
  for (const source of sources) list.append(sourceCard(answerId, source));
  container.replaceChildren(heading, list);
}

const matchLabels = { vector: "meaning", keyword: "words" };

function scoreTitle(source) {
  const parts = [];
  if (source.vector_similarity != null) parts.push(`cosine similarity ${Number(source.vector_similarity).toFixed(3)}`);
  if (source.keyword_rank != null) parts.push(`keyword rank ${source.keyword_rank}`);
  if (parts.length === 0) return "Cosine similarity between the question and this document, from −1 to 1";
  return `Retrieval score (${parts.join(", ")})`;
}

function sourceCard(answerId, source) {
  const metadata = source.metadata ?? {};
  const card = document.createElement("li");
  card.className = "source-card";
  card.id = `${answerId}-source-${source.n}`;
  card.tabIndex = -1;
  card.setAttribute("aria-label", `Source ${source.n}: ${metadata.source ?? "unknown"}, ${metadata.table ?? ""}`);

  const head = document.createElement("div");
  head.className = "card-head";
  const badge = element("span", "badge", String(source.n));
  const origin = element("span", "origin", [metadata.source, metadata.table].filter(Boolean).join(" · "));
  const score = element("span", "score", `score ${Number(source.relevance_score).toFixed(3)}`);
  score.title = scoreTitle(source);
  head.append(badge, origin, score);
  const matchedBy = source.matched_by ?? [];
  if (matchedBy.length > 0) {
    const matched = element("span", "matched-by", matchedBy.map((side) => matchLabels[side] ?? side).join(" + "));
    matched.title = "Which retrieval found this source: by meaning (vector), by words (keyword), or both";
    head.append(matched);
  }

  const fields = document.createElement("dl");
  fields.className = "card-fields";
  // Sorted, because Chroma does not keep metadata in the order it was written; a field that
  // repeats the key (an `id` column, say) would only take a line from the others.
  const entries = Object.entries(metadata)
    .filter(([name, value]) => !bookkeeping.has(name) && String(value) !== String(metadata.row_key))
    .sort(([a], [b]) => a.localeCompare(b));
  if (metadata.row_key !== undefined) entries.unshift(["key", metadata.row_key]);
  if (Number(metadata.chunks) > 1) entries.push(["part", `${Number(metadata.chunk) + 1} of ${metadata.chunks}`]);
  for (const [name, value] of entries.slice(0, fieldsShown)) {
    fields.append(element("dt", "", name), element("dd", "", String(value)));
  }

  const details = document.createElement("details");
  details.append(element("summary", "", "Text"), element("p", "card-text", source.content ?? ""));
  card.append(head, fields, details);
  return card;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}
