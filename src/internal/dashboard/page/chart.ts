/**
 * The page's two drawings, hand-made SVG (no chart library to ship or keep up): the last run's
 * timeline (a bar per resource from its start to its commit, marks at its first page and at
 * the end of its fetching) and the history's line chart (rows per load over time, one line and
 * one point per load for each resource). Plain browser JavaScript, as text (see assets.ts).
 */
export const chartScript = String.raw`
var SVG_NS = "http://www.w3.org/2000/svg";
var PALETTE = ["#2f6fde", "#e07b39", "#23834a", "#9b51e0", "#c0362c", "#1b9aaa", "#b7791f", "#5d6b82"];

function svgEl(name, attrs, text) {
  var e = document.createElementNS(SVG_NS, name);
  Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
  if (text !== undefined) e.textContent = text;
  return e;
}

function ms(iso) { var t = Date.parse(iso || ""); return isFinite(t) ? t : undefined; }

function fmtSeconds(s) { return s < 10 ? s.toFixed(2) + " s" : s.toFixed(1) + " s"; }

/** The last run's timeline: x is seconds since the run started. */
function drawTimeline(run) {
  var rows = run.resources.filter(function (r) { return ms(r.started_at) !== undefined; });
  if (rows.length === 0) return null;
  // From the first resource's start: the run's own start adds config loading and connecting.
  var start;
  rows.forEach(function (r) { if (start === undefined || ms(r.started_at) < start) start = ms(r.started_at); });
  var end = start;
  rows.forEach(function (r) { [r.finished_at, r.fetched_at, r.first_page_at].forEach(function (t) { if (ms(t) > end) end = ms(t); }); });
  var span = Math.max(1, end - start);
  var left = 150, width = 640, rowH = 26, top = 8;
  var svg = svgEl("svg", { width: left + width + 60, height: top + rows.length * rowH + 30, "class": "timeline", role: "img" });
  var x = function (t) { return left + ((t - start) / span) * width; };
  rows.forEach(function (r, i) {
    var y = top + i * rowH;
    var s = ms(r.started_at), f = ms(r.finished_at) || end, p = ms(r.first_page_at), d = ms(r.fetched_at);
    var g = svgEl("g", { "class": "lane", "data-resource": r.resource });
    g.appendChild(svgEl("text", { x: 4, y: y + 16 }, r.resource));
    var bar = svgEl("rect", { "class": "bar" + (r.status === "committed" ? "" : " failed"), x: x(s), y: y + 4, width: Math.max(2, x(f) - x(s)), height: rowH - 10 });
    bar.appendChild(svgEl("title", {}, r.resource + ": " + r.status + ", " + fmtSeconds(r.seconds)));
    g.appendChild(bar);
    if (p !== undefined && d !== undefined) g.appendChild(svgEl("rect", { "class": "fetch", x: x(p), y: y + 10, width: Math.max(2, x(d) - x(p)), height: 4 }));
    [["started", s], ["first page", p], ["fetched", d], [r.status === "committed" ? "committed" : r.status, ms(r.finished_at)]].forEach(function (m) {
      if (m[1] === undefined) return;
      var line = svgEl("line", { "class": "mark", "data-mark": m[0], x1: x(m[1]), x2: x(m[1]), y1: y + 3, y2: y + rowH - 5 });
      line.appendChild(svgEl("title", {}, r.resource + " " + m[0] + " at +" + fmtSeconds((m[1] - start) / 1000)));
      g.appendChild(line);
    });
    svg.appendChild(g);
  });
  var axisY = top + rows.length * rowH + 4;
  svg.appendChild(svgEl("line", { "class": "axis", x1: left, x2: left + width, y1: axisY, y2: axisY }));
  for (var k = 0; k <= 4; k++) {
    svg.appendChild(svgEl("text", { x: left + (k / 4) * width - 8, y: axisY + 16 }, "+" + fmtSeconds((span / 1000) * k / 4)));
  }
  return svg;
}

/** Rows per load over time, a line per resource; every load is one point. */
function drawHistory(loads) {
  if (loads.length === 0) return null;
  var names = [];
  loads.forEach(function (l) { if (names.indexOf(l.resource) < 0) names.push(l.resource); });
  var times = loads.map(function (l) { return ms(l.finishedAt) || ms(l.startedAt) || 0; });
  var t0 = Math.min.apply(null, times), t1 = Math.max.apply(null, times);
  var maxRows = Math.max(1, Math.max.apply(null, loads.map(function (l) { return l.rows; })));
  var left = 60, width = 680, height = 240, top = 10;
  var svg = svgEl("svg", { width: left + width + 30, height: top + height + 40, "class": "history", role: "img" });
  var x = function (t) { return t1 === t0 ? left + width / 2 : left + ((t - t0) / (t1 - t0)) * width; };
  var y = function (n) { return top + height - (n / maxRows) * height; };
  svg.appendChild(svgEl("line", { "class": "axis", x1: left, x2: left, y1: top, y2: top + height }));
  svg.appendChild(svgEl("line", { "class": "axis", x1: left, x2: left + width, y1: top + height, y2: top + height }));
  for (var k = 0; k <= 4; k++) {
    var v = Math.round(maxRows * k / 4);
    svg.appendChild(svgEl("text", { x: 4, y: y(v) + 4 }, v.toLocaleString("en-US")));
  }
  svg.appendChild(svgEl("text", { x: left, y: top + height + 18 }, new Date(t0).toISOString().replace("T", " ").slice(0, 19) + "Z"));
  if (t1 !== t0) svg.appendChild(svgEl("text", { x: left + width - 130, y: top + height + 18 }, new Date(t1).toISOString().replace("T", " ").slice(0, 19) + "Z"));
  names.forEach(function (name, i) {
    var color = PALETTE[i % PALETTE.length];
    var own = loads.map(function (l, j) { return { l: l, t: times[j] }; }).filter(function (p) { return p.l.resource === name; });
    var d = own.map(function (p, j) { return (j === 0 ? "M" : "L") + x(p.t).toFixed(1) + "," + y(p.l.rows).toFixed(1); }).join(" ");
    svg.appendChild(svgEl("path", { d: d, fill: "none", stroke: color, "stroke-width": 2, "class": "series", "data-resource": name }));
    own.forEach(function (p) {
      var c = svgEl("circle", { "class": "point", cx: x(p.t), cy: y(p.l.rows), r: 4, fill: color, "data-resource": name, "data-load": p.l.loadId, "data-rows": p.l.rows });
      c.appendChild(svgEl("title", {}, name + ": " + p.l.rows + " rows, load " + p.l.loadId));
      svg.appendChild(c);
    });
  });
  var legend = document.createElement("div");
  legend.className = "legend";
  names.forEach(function (name, i) {
    var s = document.createElement("span"), sw = document.createElement("i");
    sw.style.background = PALETTE[i % PALETTE.length];
    s.appendChild(sw); s.appendChild(document.createTextNode(name)); legend.appendChild(s);
  });
  var box = document.createElement("div");
  box.appendChild(svg); box.appendChild(legend);
  return box;
}
`
