// The console: one page per hash route, each a call of the data plane's API with the signed-in key and tenant.
"use strict";

const state = { key: sessionStorage.getItem("dp-key") || "", tenant: sessionStorage.getItem("dp-tenant") || "" };
const $ = (selector) => document.querySelector(selector);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

function show(message, isError = false) {
  const status = $("#status");
  status.textContent = message;
  status.className = isError ? "error" : "";
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.key) headers.Authorization = `Bearer ${state.key}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error(body && body.detail ? `${response.status} ${body.title}: ${body.detail}` : `${response.status}`);
  return body;
}

const tenantQuery = () => `tenant_id=${encodeURIComponent(state.tenant)}`;

function table(columns, rows) {
  return element("table", {},
    element("thead", {}, element("tr", {}, ...columns.map((c) => element("th", {}, c)))),
    element("tbody", {}, ...rows.map((row) => element("tr", {}, ...row.map((value) =>
      element("td", {}, value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value)))))));
}

function render(page, ...nodes) {
  $(`#page-${page} .out`).replaceChildren(...nodes);
}

const pages = {
  async tables() {
    const tables = await api(`/data/tables?${tenantQuery()}`);
    render("tables", table(["table", "columns", "rows", "last change"], tables.map((t) => [
      t.name, t.columns.filter((c) => !c.name.startsWith("_dp_")).map((c) => `${c.name} ${c.type}`).join(", ") + " (+ lineage columns)", t.row_count,
      t.last_change ? `snapshot ${t.last_change.lake_snapshot_id}, ${t.last_change.at}` : ""])));
    return `${tables.length} tables`;
  },

  async query() {
    return "Write one read-only SQL statement; 'as of' replays the lake at a snapshot, a time or a checkpoint.";
  },

  async timeline() {
    const snapshots = await api(`/data/lake/snapshots?${tenantQuery()}&limit=100`);
    render("timeline", table(["snapshot", "at", "what changed", "by"], snapshots.map((s) => [
      s.lake_snapshot_id, s.at, element("span", { class: "change" }, s.changes.map((c) => `${c.kind} ${c.value}`).join("; ")),
      [s.author, s.commit_message].filter(Boolean).join(": ")])));
    return `${snapshots.length} commits`;
  },

  async lineage() {
    return "A job's requests, the files they wrote, the lake snapshots that committed them and the checkpoints that pin those.";
  },

  async checkpoints() {
    const checkpoints = await api(`/data/snapshots?${tenantQuery()}&limit=100`);
    render("checkpoints", table(["checkpoint", "intent", "time", "lake snapshot", "agents"], checkpoints.map((c) => [
      c.snapshot_id, c.intent_id, c.timestamp, c.lake_snapshot_id, (c.agents_active || []).map((a) => `${a.role} (${a.status})`).join(", ")])));
    return `${checkpoints.length} checkpoints`;
  },

  async search() {
    return "Semantic search over the tenant's retrievable rows.";
  },

  async policy() {
    const { policy, usage } = await api(`/data/policy/${encodeURIComponent(state.tenant)}`);
    render("policy",
      table(["retention days", "allowed tables", "max storage GB", "version"], [[policy.retention_days, (policy.allowed_tables || ["all"]).join(", "),
        policy.max_storage_gb, policy.version]]),
      table(["table", "rows", "files", "bytes"], usage.tables.map((t) => [t.table, t.rows, t.files, t.bytes])));
    return `${usage.bytes ?? 0} bytes in ${usage.files ?? 0} files`;
  },
};

async function runQuery(event) {
  event.preventDefault();
  const asOf = $("#as-of").value.trim();
  const body = { sql: $("#sql").value, tenant_id: state.tenant };
  if (/^\d+$/.test(asOf)) body.lake_snapshot_id = Number(asOf);
  else if (/^\d{4}-\d\d-\d\d/.test(asOf)) body.as_of = asOf;
  else if (asOf) body.as_of_snapshot = asOf;
  await guarded(async () => {
    const reply = await api("/data/query", { method: "POST", body: JSON.stringify(body) });
    render("query", table(reply.columns.map((c) => `${c.name} ${c.type}`), reply.rows));
    return `${reply.row_count} rows${reply.truncated ? " (truncated)" : ""} at lake snapshot ${reply.lake_snapshot_id}`;
  });
}

async function drawLineage(event) {
  event.preventDefault();
  const job = $("#job").value.trim().replaceAll("'", "''");
  await guarded(async () => {
    const requests = await api("/data/query", { method: "POST", body: JSON.stringify({ tenant_id: state.tenant,
      sql: `SELECT partition_id, table_name, row_count, lake_snapshot_id, data_files FROM lineage.ingests WHERE job_id = '${job}' ORDER BY lake_snapshot_id` }) });
    const checkpoints = await api(`/data/snapshots?${tenantQuery()}&limit=1000`);
    render("lineage", lineageGraph($("#job").value.trim(), requests.rows, checkpoints));
    return `${requests.rows.length} requests`;
  });
}

// Columns of boxes joined by lines: job → requests → files → lake snapshots → checkpoints pinning a later snapshot.
function lineageGraph(job, requests, checkpoints) {
  const columns = [[{ id: "job", label: `job ${job}` }], [], [], [], []];
  const edges = [];
  const fit = (label) => (label.length > 46 ? `${label.slice(0, 45)}…` : label);
  const once = (column, id, label) => { if (!columns[column].some((n) => n.id === id)) columns[column].push({ id, label: fit(label) }); };
  for (const [partition, tableName, rows, snapshot, files] of requests) {
    const request = `r:${partition}`;
    once(1, request, `${tableName}: ${rows} rows`);
    edges.push(["job", request]);
    for (const file of (typeof files === "string" ? JSON.parse(files) : files) || []) {
      const name = String(file.path ?? file).split("/").pop();
      once(2, `f:${name}`, name);
      edges.push([request, `f:${name}`]);
      edges.push([`f:${name}`, `s:${snapshot}`]);
    }
    once(3, `s:${snapshot}`, `lake snapshot ${snapshot}`);
    if (!(files && files.length)) edges.push([request, `s:${snapshot}`]);
  }
  const first = Math.min(...requests.map((r) => r[3]));
  for (const checkpoint of checkpoints.filter((c) => c.lake_snapshot_id >= first).slice(0, 8)) {
    once(4, `c:${checkpoint.snapshot_id}`, `checkpoint @${checkpoint.lake_snapshot_id}`);
    const pinned = columns[3].filter((s) => Number(s.id.slice(2)) <= checkpoint.lake_snapshot_id).pop();
    if (pinned) edges.push([pinned.id, `c:${checkpoint.snapshot_id}`]);
  }
  const width = 320, height = 34, gap = 14;
  const position = {};
  columns.forEach((nodes, x) => nodes.forEach((node, y) => { position[node.id] = { x: 10 + x * (width + 40), y: 10 + y * (height + gap) }; }));
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  const tallest = Math.max(...columns.map((c) => c.length), 1);
  svg.setAttribute("width", String(20 + columns.length * (width + 40)));
  svg.setAttribute("height", String(20 + tallest * (height + gap)));
  svg.setAttribute("id", "lineage-graph");
  for (const [from, to] of edges) {
    if (!position[from] || !position[to]) continue;
    const path = document.createElementNS(svgNs, "path");
    const a = position[from], b = position[to];
    path.setAttribute("d", `M${a.x + width},${a.y + height / 2} C${a.x + width + 20},${a.y + height / 2} ${b.x - 20},${b.y + height / 2} ${b.x},${b.y + height / 2}`);
    path.setAttribute("class", "edge");
    svg.append(path);
  }
  for (const nodes of columns) for (const node of nodes) {
    const group = document.createElementNS(svgNs, "g");
    group.setAttribute("class", "node");
    const rect = document.createElementNS(svgNs, "rect");
    Object.entries({ x: position[node.id].x, y: position[node.id].y, width, height, rx: 6 }).forEach(([k, v]) => rect.setAttribute(k, String(v)));
    const text = document.createElementNS(svgNs, "text");
    text.setAttribute("x", String(position[node.id].x + 8));
    text.setAttribute("y", String(position[node.id].y + 21));
    text.textContent = node.label;
    group.append(rect, text);
    svg.append(group);
  }
  return svg;
}

async function search(event) {
  event.preventDefault();
  await guarded(async () => {
    const hits = await api(`/data/retrieve?${tenantQuery()}&top_k=10&query=${encodeURIComponent($("#question").value)}`);
    render("search", table(["score", "text", "from"], hits.map((h) => [h.score.toFixed(4), h.text, h.metadata.table])));
    return `${hits.length} hits`;
  });
}

async function guarded(work) {
  show("…");
  try {
    show(await work());
  } catch (error) {
    show(error.message, true);
  }
}

async function route() {
  const page = (location.hash || "#tables").slice(1);
  document.querySelectorAll("section").forEach((s) => s.classList.toggle("active", s.dataset.page === page));
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.getAttribute("href") === `#${page}`));
  if (!state.tenant) return show("Sign in with an API key and a tenant.");
  if (pages[page]) await guarded(pages[page]);
}

$("#signin").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("#key").value;
  state.tenant = $("#tenant").value.trim();
  sessionStorage.setItem("dp-key", state.key);
  sessionStorage.setItem("dp-tenant", state.tenant);
  $("#who").textContent = `tenant ${state.tenant}`;
  route();
});
$("#query-form").addEventListener("submit", runQuery);
$("#lineage-form").addEventListener("submit", drawLineage);
$("#search-form").addEventListener("submit", search);
window.addEventListener("hashchange", route);
$("#tenant").value = state.tenant;
if (state.tenant) $("#who").textContent = `tenant ${state.tenant}`;
route();
