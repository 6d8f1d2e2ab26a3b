// Query results the model ran while answering: each a small table, cited as [Qn], with the spec it
// ran behind a toggle; and a line for each tool call that was refused. Text nodes only, as in render.js.

/** Rows shown in a query card; the rest are counted, not drawn. */
const rowsShown = 10;

/**
 * Renders the answer's tool calls: a card per query result, a line per refused call. `calls` take the
 * shape of /chat's `tool_calls` ({name, arguments, result | error}) or history's ({name, arguments,
 * label, rows, row_count, truncated | error}).
 */
export function renderToolCalls(container, answerId, calls) {
  const queries = [];
  const refused = [];
  for (const call of calls) {
    const query = queryOf(call);
    if (query) queries.push(query);
    else if (call.error) refused.push(call);
  }
  if (queries.length === 0 && refused.length === 0) {
    container.replaceChildren();
    return;
  }
  const nodes = [];
  if (queries.length > 0) {
    nodes.push(element("h2", "sources-heading", `Queries (${queries.length})`));
    const list = document.createElement("ol");
    list.className = "query-cards";
    for (const query of queries) list.append(queryCard(answerId, query));
    nodes.push(list);
  }
  if (refused.length > 0) {
    const notes = document.createElement("ul");
    notes.className = "tool-errors";
    for (const call of refused) {
      notes.append(element("li", "", `${call.name} refused (${call.error.code}): ${call.error.message}`));
    }
    nodes.push(notes);
  }
  container.replaceChildren(...nodes);
}

function queryOf(call) {
  if (call.result?.label) {
    const { label, spec, columns, rows, truncated } = call.result;
    return { label, spec, columns: columns.map((column) => column.name), rows, total: rows.length, truncated };
  }
  if (call.label && call.rows) {
    const columns = [...new Set(call.rows.flatMap((row) => Object.keys(row)))];
    return {
      label: call.label,
      spec: call.arguments,
      columns,
      rows: call.rows,
      total: call.row_count ?? call.rows.length,
      truncated: call.truncated,
    };
  }
  return undefined;
}

function queryCard(answerId, query) {
  const card = document.createElement("li");
  card.className = "source-card query-card";
  card.id = `${answerId}-query-${query.label}`;
  card.tabIndex = -1;
  const source = query.spec?.source ?? "";
  const table = query.spec?.table ?? "";
  card.setAttribute("aria-label", `Query ${query.label}: ${source}, ${table}`);

  const head = document.createElement("div");
  head.className = "card-head";
  const count = `${query.total} row${query.total === 1 ? "" : "s"}${query.truncated ? ", more matched" : ""}`;
  head.append(
    element("span", "badge badge-query", query.label),
    element("span", "origin", [source, table].filter(Boolean).join(" · ")),
    element("span", "score", count),
  );

  const wrapper = document.createElement("div");
  wrapper.className = "query-table";
  const grid = document.createElement("table");
  const headRow = document.createElement("tr");
  for (const column of query.columns) headRow.append(element("th", "", column));
  grid.append(document.createElement("thead"), document.createElement("tbody"));
  grid.tHead.append(headRow);
  for (const row of query.rows.slice(0, rowsShown)) {
    const line = document.createElement("tr");
    for (const column of query.columns) line.append(element("td", "", cell(row[column])));
    grid.tBodies[0].append(line);
  }
  wrapper.append(grid);
  const nodes = [head, wrapper];
  if (query.rows.length > rowsShown)
    nodes.push(element("p", "query-more", `…and ${query.rows.length - rowsShown} more`));

  const details = document.createElement("details");
  details.append(element("summary", "", "Query"), element("pre", "query-spec", JSON.stringify(query.spec, null, 2)));
  nodes.push(details);
  card.append(...nodes);
  return card;
}

function cell(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}
