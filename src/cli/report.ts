/** What the CLI prints: progress lines on stderr (info log lines), the summary table on stdout. */
import { Clock, Effect, Layer } from "effect"
import type { LoadInfo } from "../internal/pipeline/pipeline.js"
import { Progress, type ResourceProgress } from "../internal/pipeline/progress.js"

const plural = (n: number, word: string) => `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`

export const progressLine = (p: ResourceProgress): string =>
  `${p.resource}: ${p.state === "running" ? "" : `${p.state}, `}${plural(p.rows, "row")}, ${plural(p.pages, "page")}, ` +
  `${plural(p.requests, "request")}${p.retries > 0 ? ` (${plural(p.retries, "retry")})`.replace("retrys", "retries") : ""}, ` +
  `${p.seconds.toFixed(1)}s`

/** A progress line's fields, for `--log-format json`. */
const progressFields = (p: ResourceProgress): Record<string, unknown> => ({
  event: "progress",
  resource: p.resource,
  table: p.table,
  state: p.state,
  rows: p.rows,
  pages: p.pages,
  requests: p.requests,
  retries: p.retries,
  seconds: Math.round(p.seconds * 1000) / 1000
})

/**
 * Logs (info) a resource's progress at most once a second, and always when it finishes. `seen`, when
 * given, keeps each resource's latest report: what an interrupted run has committed.
 */
export const stderrProgress = (intervalMillis = 1000, seen?: Map<string, ResourceProgress>): Layer.Layer<Progress> =>
  Layer.sync(Progress, () => {
    const last = new Map<string, number>()
    return {
      report: (p) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          seen?.set(p.resource, p)
          const previous = last.get(p.resource)
          if (p.state === "running" && previous !== undefined && now - previous < intervalMillis) return Effect.void
          if (p.state === "running" && previous === undefined) {
            last.set(p.resource, now)
            return Effect.void // the first line waits a second, so short resources print only their end
          }
          last.set(p.resource, now)
          return Effect.logInfo(progressLine(p)).pipe(Effect.annotateLogs(progressFields(p)))
        })
    }
  })

/** Left-aligned text columns, numbers right-aligned. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>): string => {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? c.toLocaleString("en-US") : c)))]
  const numeric = header.map((_, i) => rows.some((r) => typeof r[i] === "number") && rows.every((r) => typeof r[i] === "number" || r[i] === ""))
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)))
  const line = (r: ReadonlyArray<string | number>) =>
    r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join("  ").trimEnd()
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n")
}

export const summary = (info: LoadInfo): string => {
  const rows: Array<Array<string | number>> = []
  for (const r of info.resources) {
    rows.push([r.resource, r.table, r.status, r.rowsPerTable[r.table] ?? r.rows, r.pages, r.requests, r.retries, r.seconds.toFixed(2)])
    for (const [name, count] of Object.entries(r.rowsPerTable)) {
      if (name !== r.table) rows.push(["", name, "", count, "", "", "", ""])
    }
  }
  const notes = info.resources.filter((r) => r.replacedNuls > 0).map((r) =>
    `note: ${r.resource}: ${plural(r.replacedNuls, "NUL character")} (U+0000, which Postgres text cannot hold) stored as U+FFFD`
  )
  if (info.http !== undefined && (info.http.maxInFlight > 1 || info.http.throttles > 0)) {
    const { host, maxInFlight, limit, throttles } = info.http
    const pushed = throttles === 0 ? "no throttles" : `${plural(throttles, "throttled response")} (429/503 or a low rate-limit budget)`
    notes.push(`${host}: up to ${plural(maxInFlight, "request")} in flight (limit ${limit} at the end), ${pushed}`)
  }
  return `dataset ${info.dataset}, load ${info.loadId}\n` +
    table(["resource", "table", "status", "rows", "pages", "requests", "retries", "seconds"], rows) +
    notes.map((n) => `\n${n}`).join("")
}

/**
 * What an interrupted run leaves: the resources that committed before the signal, and the
 * others, whose loads rolled back (their staging tables dropped) or never started.
 */
export const interruptedSummary = (dataset: string, resources: ReadonlyArray<string>, seen: ReadonlyMap<string, ResourceProgress>): string => {
  const rows = resources.map((name) => {
    const p = seen.get(name)
    if (p === undefined) return [name, "", "not started", "", "", ""]
    if (p.state === "done") return [name, p.table, "committed", p.rows, p.pages, p.seconds.toFixed(2)]
    if (p.state === "failed") return [name, p.table, "failed", "", p.pages, p.seconds.toFixed(2)]
    return [name, p.table, "interrupted, rolled back", "", p.pages, p.seconds.toFixed(2)]
  })
  return `dataset ${dataset}: interrupted\n` + table(["resource", "table", "status", "rows", "pages", "seconds"], rows)
}
