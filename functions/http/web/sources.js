// The sources view: configured sources, an ingestion form built from the source's own schema
// (POST /schema), and recent batches whose progress bars follow GET /ingest-status while running.

import { getJson, sendJson } from "./api.js";
import { showError, showNotice } from "./notice.js";

const sourceList = document.getElementById("source-list");
const form = document.getElementById("ingest-form");
const sourceSelect = document.getElementById("ingest-source");
const tableSelect = document.getElementById("ingest-table");
const fieldset = document.getElementById("ingest-fields");
const fieldsHint = document.getElementById("ingest-fields-hint");
const maxRows = document.getElementById("ingest-max-rows");
const relations = document.getElementById("ingest-relations");
const includeJson = document.getElementById("ingest-include");
const start = document.getElementById("ingest-start");
const batchList = document.getElementById("batch-list");
const batchesEmpty = document.getElementById("batches-empty");

const finished = new Set(["completed", "completed_with_errors", "failed"]);
const pollMs = 1000;
const textTypes = /char|text|string|json/i;
let pollTimer;

export function setupSources(sources) {
  sourceList.replaceChildren(...sources.map(sourceItem));
  if (sources.length === 0) sourceList.append(textItem("No sources are configured on the server."));
  sourceSelect.replaceChildren(
    new Option("Choose a source", "", true, true),
    ...sources.map((source) => new Option(source.name, source.name)),
  );
  sourceSelect.addEventListener("change", () => void loadTables());
  tableSelect.addEventListener("change", () => void loadFields());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void startIngestion();
  });
  document.getElementById("batches-refresh").addEventListener("click", () => void loadBatches());
}

/** Called when the view is shown: fresh batches, and polling only while someone is looking. */
export function showSources(visible) {
  clearTimeout(pollTimer);
  if (visible) void loadBatches();
}

function sourceItem(source) {
  const item = document.createElement("li");
  item.className = "source-item";
  const name = document.createElement("strong");
  name.textContent = source.name;
  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = source.kind;
  item.append(name, " ", kind);
  if (source.description) {
    const description = document.createElement("p");
    description.textContent = source.description;
    item.append(description);
  }
  return item;
}

function textItem(text) {
  const item = document.createElement("li");
  item.textContent = text;
  return item;
}

async function loadTables() {
  tableSelect.disabled = true;
  tableSelect.replaceChildren();
  resetFields("Choose a table to see its fields.");
  if (!sourceSelect.value) return;
  try {
    const schema = await sendJson("POST", "/schema", { source: sourceSelect.value });
    tableSelect.replaceChildren(
      new Option("Choose a table", "", true, true),
      ...(schema.tables ?? []).map((table) => new Option(table.name, table.name)),
    );
    tableSelect.disabled = false;
  } catch (error) {
    showError(error, `Listing the tables of ${sourceSelect.value} failed`);
  }
}

async function loadFields() {
  resetFields("Loading the fields…");
  if (!tableSelect.value) return resetFields("Choose a table to see its fields.");
  try {
    const { table } = await sendJson("POST", "/schema", {
      source: sourceSelect.value,
      table_or_collection: tableSelect.value,
    });
    const columns = table?.columns ?? [];
    fieldsHint.textContent = columns.length ? "The other fields are kept as metadata." : "This table has no fields.";
    for (const column of columns) {
      const label = document.createElement("label");
      label.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "text_fields";
      box.value = column.name;
      label.append(box, ` ${column.name} `);
      const type = document.createElement("span");
      type.className = "hint";
      type.textContent = column.type;
      label.append(type);
      if (textTypes.test(column.type)) label.classList.add("texty");
      fieldset.append(label);
    }
    fieldset.disabled = false;
    showRelations(table?.foreignKeys);
  } catch (error) {
    resetFields("The fields could not be loaded.");
    showError(error, `Reading the fields of ${tableSelect.value} failed`);
  }
}

function resetFields(hint) {
  fieldset.disabled = true;
  for (const label of fieldset.querySelectorAll("label")) label.remove();
  fieldsHint.textContent = hint;
  showRelations(undefined);
}

/**
 * A checkbox per foreign key, both ways (PostgreSQL's /schema lists them), a composite key as one box;
 * other sources use the JSON box.
 */
function showRelations(foreignKeys) {
  for (const label of relations.querySelectorAll("label")) label.remove();
  const offered = [
    ...(foreignKeys?.outgoing ?? []).map((key) => ({ table: key.referencedTable, via: key.column, kind: "one" })),
    ...(foreignKeys?.incoming ?? []).map((key) => ({ table: key.table, via: key.column, kind: "many" })),
  ];
  relations.hidden = offered.length === 0;
  for (const relation of offered) {
    const label = document.createElement("label");
    label.className = "check";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "include";
    box.value = `${relation.table}:${relation.via}`;
    box.dataset.table = relation.table;
    box.dataset.via = relation.via;
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = relation.kind === "one" ? "one per row" : "up to 20 per row";
    // A composite key's columns, listed in the key's order (via takes them joined by commas).
    label.append(box, ` ${relation.table} (via ${relation.via.split(",").join(", ")}) `, hint);
    relations.append(label);
  }
}

/** The include list: checked foreign keys with their table's text fields, then whatever the JSON box holds. */
async function includeList() {
  const include = [];
  for (const box of relations.querySelectorAll("input:checked")) {
    const { table } = await sendJson("POST", "/schema", {
      source: sourceSelect.value,
      table_or_collection: box.dataset.table,
    });
    const fields = (table?.columns ?? []).filter((column) => textTypes.test(column.type)).map((column) => column.name);
    if (fields.length === 0) throw new Error(`${box.dataset.table} has no text fields to render`);
    include.push({ table: box.dataset.table, via: box.dataset.via, fields });
  }
  if (includeJson.value.trim()) {
    const parsed = JSON.parse(includeJson.value);
    include.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  }
  return include;
}

async function startIngestion() {
  const textFields = [...fieldset.querySelectorAll("input:checked")].map((box) => box.value);
  if (!sourceSelect.value || !tableSelect.value) return showNotice("Choose a source and a table first.");
  if (textFields.length === 0) return showNotice("Choose at least one text field to embed.");
  const body = { source: sourceSelect.value, table_or_collection: tableSelect.value, text_fields: textFields };
  if (maxRows.value) body.max_rows = Number(maxRows.value);
  start.disabled = true;
  try {
    const include = await includeList();
    if (include.length > 0) body.include = include;
    const queued = await sendJson("POST", "/ingest-data-async", body);
    showNotice(`Batch ${queued.batch_id} queued.`, { kind: "info" });
    await loadBatches();
  } catch (error) {
    showError(error, "Starting the ingestion failed");
  } finally {
    start.disabled = false;
  }
}

async function loadBatches() {
  clearTimeout(pollTimer);
  try {
    const { batches } = await getJson("/recent-batches?limit=10");
    batchList.replaceChildren(...batches.map(batchItem));
    batchesEmpty.hidden = batches.length > 0;
    schedulePoll();
  } catch (error) {
    showError(error, "Loading the recent batches failed");
  }
}

function schedulePoll() {
  clearTimeout(pollTimer);
  const running = [...batchList.querySelectorAll("li[data-running='true']")];
  if (running.length === 0 || document.getElementById("view-sources").hidden) return;
  pollTimer = setTimeout(async () => {
    try {
      for (const item of running) {
        const batch = await getJson(`/ingest-status/${encodeURIComponent(item.dataset.batchId)}`);
        item.replaceWith(batchItem(batch));
      }
      schedulePoll();
    } catch (error) {
      showError(error, "Following the batch progress failed");
    }
  }, pollMs);
}

function batchItem(batch) {
  const item = document.createElement("li");
  item.className = "batch";
  item.dataset.batchId = batch.batch_id;
  item.dataset.status = batch.status;
  item.dataset.running = String(!finished.has(batch.status));
  const labelId = `batch-${batch.batch_id}-label`;

  const title = document.createElement("p");
  title.className = "batch-title";
  title.id = labelId;
  title.textContent = `${batch.source} · ${batch.table}`;
  const state = document.createElement("span");
  state.className = `batch-status status-${batch.status}`;
  state.textContent = batch.status.replaceAll("_", " ");
  title.append(" ", state);

  const percent = Math.round(batch.progress_percentage ?? 0);
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = percent;
  bar.setAttribute("aria-labelledby", labelId);

  const counts = document.createElement("p");
  counts.className = "batch-counts";
  const total = batch.total_documents ?? "?";
  const failed = batch.failed_documents ? `, ${batch.failed_documents} failed` : "";
  counts.textContent = `${percent}% · ${batch.processed_documents} of ${total} documents${failed} · started ${time(batch.created_at)}`;
  item.append(title, bar, counts);
  if (batch.error_message) {
    const error = document.createElement("p");
    error.className = "inline-error";
    error.textContent = batch.error_message;
    item.append(error);
  }
  return item;
}

function time(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
