/**
 * The dashboard page: HTML, styles and script, served from memory (no CDN, works offline).
 * The script is plain browser JavaScript kept as text (script.ts, chart.ts): it needs no
 * bundler, and the page's Content-Security-Policy allows only these files.
 */
import { chartScript } from "./chart.js"
import { appScript } from "./script.js"

const escapeHtml = (s: string): string =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll("\"", "&quot;")

const sections = ["overview", "history", "schema", "state", "data"] as const

export const pageHtml = (dataset: string): string =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(dataset)} · rest-connector dashboard</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<header>
<h1>rest-connector <span class="dataset">${escapeHtml(dataset)}</span></h1>
<nav>${sections.map((s) => `<a href="#${s}" id="nav-${s}" data-section="${s}">${s[0].toUpperCase()}${s.slice(1)}</a>`).join("")}</nav>
</header>
<main>
<section id="overview"><h2>Overview</h2><div id="overview-body" class="loading">loading…</div><h3>Timeline of the last run</h3><div id="timeline"></div><details id="config"><summary>Config (secrets as ***)</summary><pre id="config-body"></pre></details></section>
<section id="history" hidden><h2>History</h2><p class="hint">Rows loaded per load, per resource (from _rc_loads).</p><div id="history-chart"></div><h3>Runs</h3><div id="runs-body"></div><h3>Loads</h3><div id="loads-body"></div></section>
<section id="schema" hidden><h2>Schema</h2><div id="schema-body"></div></section>
<section id="state" hidden><h2>State</h2><div id="state-body"></div></section>
<section id="data" hidden><h2>Data</h2>
<form id="rows-form"><label>Table <select id="table-select"></select></label> <label>Rows <input id="rows-limit" type="number" min="1" max="1000" value="20"></label> <button type="submit">Show</button></form>
<div id="rows-body"></div>
<h3>Read-only SQL</h3>
<p class="hint">One statement, in a read-only transaction that is rolled back; 10 s at most, 1000 rows shown. Unqualified names are this dataset's tables.</p>
<form id="query-form"><textarea id="query-sql" rows="4" spellcheck="false">SELECT * FROM _rc_loads ORDER BY finished_at DESC LIMIT 10</textarea><button type="submit" id="query-run">Run</button></form>
<div id="query-error" class="error" hidden></div><div id="query-result"></div>
</section>
</main>
</body>
</html>
`

export const pageStyles = `
:root { --fg: #1d2330; --muted: #667085; --line: #d9dee7; --bg: #f6f7f9; --accent: #2f6fde; --bad: #c0362c; --ok: #23834a; font-family: system-ui, sans-serif; }
body { margin: 0; color: var(--fg); background: var(--bg); font-size: 14px; }
header { display: flex; align-items: center; gap: 2rem; padding: .6rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.1rem; margin: 0; } h1 .dataset { color: var(--accent); font-weight: 600; }
nav a { margin-right: 1rem; color: var(--muted); text-decoration: none; padding: .3rem 0; }
nav a.active { color: var(--fg); border-bottom: 2px solid var(--accent); }
main { padding: 1rem 1.2rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem 1.2rem; }
h2 { margin: .2rem 0 .8rem; font-size: 1.1rem; } h3 { font-size: .95rem; margin: 1.2rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; }
.status-committed { color: var(--ok); } .status-failed, .error { color: var(--bad); } .status-interrupted { color: #b7791f; }
.hint, .muted { color: var(--muted); }
.error { white-space: pre-wrap; }
ul.tree { list-style: none; padding-left: 1.2rem; border-left: 1px dashed var(--line); }
ul.tree.top { border: 0; padding: 0; }
.table-node > summary { cursor: pointer; font-weight: 600; padding: .2rem 0; }
.table-node .meta { font-weight: 400; color: var(--muted); margin-left: .6rem; }
.table-node table { margin: .3rem 0 .8rem; }
.tag { display: inline-block; padding: 0 .35rem; border-radius: 3px; background: #eef2fb; color: var(--accent); font-size: .8rem; margin-left: .3rem; }
textarea { width: 100%; font-family: ui-monospace, monospace; font-size: 13px; box-sizing: border-box; }
form { margin: .4rem 0; } button { margin-top: .3rem; }
.scroll { overflow-x: auto; max-height: 32rem; overflow-y: auto; }
svg text { font-size: 11px; fill: var(--muted); }
svg .bar { fill: #b7cdf5; } svg .bar.failed { fill: #f0b4ae; } svg .fetch { fill: var(--accent); }
svg .mark { stroke: var(--fg); stroke-width: 2; } svg .axis { stroke: var(--line); }
pre { background: #fafbfc; border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 30rem; }
#config { margin-top: 1.2rem; } #config summary { cursor: pointer; color: var(--muted); }
.legend span { margin-right: 1rem; } .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; border-radius: 2px; vertical-align: middle; }
`

export const pageScript = `"use strict";\n${chartScript}\n${appScript}\n`
