/**
 * The page's script: plain browser JavaScript, as text (see assets.ts). It fetches the JSON
 * endpoints and renders each section with DOM calls (text nodes only: nothing from the
 * database is parsed as HTML).
 */
export const appScript = String.raw`
function el(tag, attrs, children) {
  var e = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    if (k === "text") e.textContent = attrs[k]; else if (k === "cls") e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
  });
  (children || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
  return e;
}

function cell(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** A table; cells are text, or {text, cls} for a classed cell. Numbers are right-aligned. */
function table(id, headers, rows) {
  var head = el("tr", {}, headers.map(function (h) { return el("th", { text: h }); }));
  var body = rows.map(function (r) {
    return el("tr", {}, r.map(function (c) {
      if (c !== null && typeof c === "object" && "text" in c) return el("td", { text: cell(c.text), cls: c.cls || "" });
      return el("td", { text: cell(c), cls: typeof c === "number" ? "num" : "" });
    }));
  });
  var t = el("table", { id: id }, [el("thead", {}, [head]), el("tbody", {}, body)]);
  return el("div", { cls: "scroll" }, [t]);
}

function replace(id, node) {
  var target = document.getElementById(id);
  target.classList.remove("loading");
  target.replaceChildren(node);
}

function fail(id, message) { replace(id, el("p", { cls: "error", text: message })); }

function getJson(path) {
  return fetch(path, { headers: { accept: "application/json" } }).then(function (res) {
    return res.json().then(function (body) {
      if (!res.ok) throw new Error(body && body.error ? body.error : "HTTP " + res.status);
      return body;
    });
  });
}

function when(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : ""; }

function status(s) { return { text: s, cls: "status-" + String(s).replace(/\s+/g, "-") }; }

function tablesText(t) { return Object.keys(t || {}).sort().map(function (k) { return k + ": " + t[k]; }).join(", "); }

function renderOverview(o) {
  var rows = o.resources.map(function (r) {
    var run = r.lastRun, load = r.lastLoad;
    return [r.inConfig ? r.resource : r.resource + " (not in the config)", run ? status(run.status) : "never run",
      run ? tablesText(run.tables) : "", run ? run.rows : "", run ? run.pages : "", run ? run.requests : "", run ? run.retries : "",
      run ? run.seconds : "", run && run.error ? { text: run.error, cls: "error" } : "",
      load ? load.loadId : "", load ? when(load.finishedAt) : ""];
  });
  replace("overview-body", table("overview-table",
    ["resource", "last run", "rows per table", "rows", "pages", "requests", "retries", "seconds", "error", "last load", "committed"], rows));
  var run = o.lastRun;
  if (run === null) { replace("timeline", el("p", { cls: "muted", text: "No run has kept its report yet (runs of this version do)." })); return; }
  var svg = drawTimeline(run);
  var caption = el("p", { cls: "muted", text: "Run " + (run.load_id || "(no load)") + ", " + run.status + ", started " + when(run.started_at) + ", " + run.seconds + " s." + (run.http ? " API " + run.http.host + ": up to " + run.http.max_in_flight + " request(s) in flight, " + run.http.throttles + " throttled response(s)." : "") + " Bar: start to commit; blue: first page to end of fetching." });
  replace("timeline", el("div", {}, [caption, svg || el("p", { cls: "muted", text: "no resource started" })]));
}

function renderHistory(h) {
  var chart = drawHistory(h.loads);
  replace("history-chart", chart || el("p", { cls: "muted", text: "No loads yet." }));
  replace("runs-body", table("runs-table", ["load id", "status", "started", "seconds", "resources", "error"], h.runs.map(function (r) {
    var errors = r.resources.filter(function (x) { return x.error; }).map(function (x) { return x.resource + ": " + x.error; });
    if (r.error) errors.unshift(r.error);
    return [r.loadId || "", status(r.status), when(r.startedAt), r.seconds,
      r.resources.map(function (x) { return x.resource + " " + x.status; }).join(", "), errors.length ? { text: errors.join("\n"), cls: "error" } : ""];
  })));
  var loads = h.loads.slice().reverse();
  replace("loads-body", table("loads-table", ["load id", "resource", "rows", "rows per table", "started", "finished", "schema version"], loads.map(function (l) {
    return [l.loadId, l.resource, l.rows, tablesText(l.rowsPerTable), when(l.startedAt), when(l.finishedAt), l.schemaVersion || ""];
  })));
}

function tableNode(t, root) {
  var meta = [];
  if (root && root.resource) {
    var r = root.resource;
    meta.push("resource " + r.name, r.writeDisposition);
    if (r.primaryKey.length) meta.push("primary key " + r.primaryKey.join(", "));
    if (r.mergeKey.length) meta.push("merge key " + r.mergeKey.join(", "));
  }
  if (root && root.schemaVersion) meta.push("schema version " + root.schemaVersion);
  if (t.source) meta.push("list " + t.source.join("."));
  var cols = table("columns-" + t.name, ["column", "type", "nullable", "source key", "note"], t.columns.map(function (c) {
    var note = c.variantOf ? "variant of " + c.variantOf : c.system ? "system" : "";
    return [c.name, c.type, c.nullable ? "yes" : "no", c.source ? c.source.join(".") : "", note];
  }));
  var summary = el("summary", {}, [t.name, el("span", { cls: "meta", text: meta.join(" · ") })]);
  var kids = t.children.length ? el("ul", { cls: "tree" }, t.children.map(function (c) { return el("li", {}, [tableNode(c, null)]); })) : null;
  return el("details", { cls: "table-node", open: "", "data-table": t.name }, [summary, cols, kids]);
}

function renderSchema(s) {
  if (!s.exists || s.tables.length === 0) { replace("schema-body", el("p", { cls: "muted", text: "Dataset " + s.dataset + " has no tables yet." })); return; }
  var top = el("ul", { cls: "tree top", id: "schema-tree" }, s.tables.map(function (t) { return el("li", {}, [tableNode(t, t)]); }));
  replace("schema-body", el("div", {}, [el("p", { cls: "muted", text: s.versions + " schema version(s) recorded in _rc_version." }), top]));
}

function renderState(rows) {
  replace("state-body", table("state-table", ["resource", "cursor", "initial value", "last value", "per-parent cursors", "stored at", "by load"], rows.map(function (r) {
    return [r.inConfig ? r.resource : r.resource + " (not in the config)", r.cursorPath || "", r.cursorPath ? cell(r.initialValue) : "",
      r.stored ? cell(r.lastValue) : (r.cursorPath ? "(none stored)" : ""), r.perParentCursors === null ? "" : r.perParentCursors,
      when(r.updatedAt), r.loadId || ""];
  })));
}

function resultTable(id, result) {
  var note = result.truncated ? el("p", { cls: "muted", text: "Only the first " + result.rows.length + " rows are shown." }) : null;
  var summary = el("p", { cls: "muted", text: result.command + ": " + result.rows.length + " row(s)" });
  return el("div", {}, [summary, table(id, result.columns, result.rows), note]);
}

function loadRows(event) {
  if (event) event.preventDefault();
  var name = document.getElementById("table-select").value;
  var limit = document.getElementById("rows-limit").value || "20";
  if (!name) return;
  getJson("/api/tables/" + encodeURIComponent(name) + "?limit=" + encodeURIComponent(limit))
    .then(function (r) { replace("rows-body", resultTable("rows-table", r)); }, function (e) { fail("rows-body", e.message); });
}

function runQuery(event) {
  event.preventDefault();
  var errorBox = document.getElementById("query-error");
  errorBox.hidden = true;
  document.getElementById("query-result").replaceChildren();
  fetch("/api/query", { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ sql: document.getElementById("query-sql").value }) })
    .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
    .then(function (r) {
      if (r.ok) { replace("query-result", resultTable("query-table", r.body)); return; }
      document.getElementById("query-result").replaceChildren();
      errorBox.textContent = r.body.error || "the query failed";
      errorBox.hidden = false;
    }, function (e) { errorBox.textContent = e.message; errorBox.hidden = false; });
}

function renderTables(names) {
  var select = document.getElementById("table-select");
  select.replaceChildren.apply(select, names.map(function (n) { return el("option", { value: n, text: n }); }));
  var firstData = names.filter(function (n) { return n.indexOf("_rc_") !== 0; })[0];
  if (firstData) select.value = firstData;
  loadRows();
}

function show(section) {
  document.querySelectorAll("main > section").forEach(function (s) { s.hidden = s.id !== section; });
  document.querySelectorAll("nav a").forEach(function (a) { a.classList.toggle("active", a.dataset.section === section); });
}

function route() {
  var name = (location.hash || "#overview").slice(1);
  show(document.getElementById(name) ? name : "overview");
}

function load(path, id, render) {
  return getJson(path).then(render, function (e) { fail(id, e.message); });
}

document.addEventListener("DOMContentLoaded", function () {
  window.addEventListener("hashchange", route);
  route();
  document.getElementById("rows-form").addEventListener("submit", loadRows);
  document.getElementById("query-form").addEventListener("submit", runQuery);
  Promise.all([
    load("/api/overview", "overview-body", renderOverview),
    load("/api/history", "history-chart", renderHistory),
    load("/api/schema", "schema-body", renderSchema),
    load("/api/state", "state-body", renderState),
    load("/api/tables", "rows-body", renderTables),
    load("/api/config", "config-body", function (c) { document.getElementById("config-body").textContent = c.config === null ? "(not shown)" : JSON.stringify(c.config, null, 2); })
  ]).then(function () { document.body.dataset.ready = "true"; });
});
`
