/**
 * The demo analytics API: a real HTTP server (node:http) emulating the seed's third-party
 * analytics API (SEED-000). Used by `rest-connector demo`, the end-to-end tests and the benchmark.
 *
 * Records are generated on the fly from their index (and the dataset version), so a resource of
 * 1 000 000 records costs no memory; a page is one `JSON.stringify` of at most 100 objects.
 *
 * HTTP contract
 * - Base path `/v1`; `GET /v1/appointmentlinks/me` (records under `data`), `GET /v1/codesnippets`
 *   and `GET /v1/insightsreports` (records under `results`).
 * - Auth: header `X-API-Token: <token>`, else `401 {"error":"invalid token"}`.
 * - Paging: query `limit` (default 50, clamped to 100; not a positive integer → 400) and `next`
 *   (an opaque cursor; absent on the first page; unknown or garbled → 400). Body:
 *   `{ "<data|results>": [...], "next": "<cursor>", "hasNext": true|false }`.
 *   The LAST page still carries a non-null `next` (as the seed's API does): clients must stop on
 *   `hasNext == false`. Requesting that cursor gives an empty page with `hasNext: false`.
 * - Faults: every `rateLimitEvery`-th request → `429` + `Retry-After: 1`; every
 *   `transientErrorEvery`-th → `503`; `malformedPageAt` → invalid JSON with `200`; `failures` → any status.
 *   Fault counting uses the number of authenticated requests received so far (1-based).
 *
 * Dataset versions: `setVersion(v)` edits some records. Record `i` last changed at version
 * `L(i, v)` = the largest `k` in `1..v` with `(i + k) % 4 == 0` (0 if none): so each version bump
 * changes a quarter of the records, and a changed record's `updatedAt` (2030-01-01 + L days +
 * (i mod 86400) s) is later than every `updatedAt` of earlier versions. The `title`/`name` of a
 * changed record ends with ` (rev L)` and some numbers move (see each record type).
 */
import * as Http from "node:http"
import { Effect } from "effect"
import type * as Scope from "effect/Scope"
import { type DemoFaults, FaultInjector } from "./demoFaults.js"
import { DEFAULT_ROWS, DEMO_RESOURCES, DEMO_TOKEN, type DemoResource, perResource } from "./demoResources.js"
import { handleDemoRequest, sendError } from "./demoRoutes.js"
import { type DemoApiStats, DemoServerState, emptyStats, snapshotStats } from "./demoState.js"

// The parts live beside this module: demoResources (resources and record shapes), demoData (the
// generators), demoCursor, demoFaults, demoState (settings and counters) and demoRoutes (the handler).
export {
  type AppointmentLink,
  type CodeSnippet,
  DEFAULT_LIMIT,
  DEFAULT_ROWS,
  DEMO_ENDPOINTS,
  DEMO_RESOURCES,
  DEMO_TOKEN,
  type DemoRecords,
  type DemoResource,
  type InsightsReport,
  MAX_LIMIT
} from "./demoResources.js"
export { appointmentLinkAt, codeSnippetAt, insightsReportAt, lastChange, recordAt } from "./demoData.js"
export { decodeCursor, encodeCursor } from "./demoCursor.js"
export type { DemoFailure, DemoFaults, DemoMalformedPage } from "./demoFaults.js"
export type { DemoApiStats } from "./demoState.js"

export interface DemoApiOptions extends DemoFaults {
  /** Records per resource: one number for all, or per resource (others get `DEFAULT_ROWS`). */
  readonly rows?: number | Partial<Record<DemoResource, number>>
  readonly token?: string
  /** Dataset version (see the module comment); default 0. */
  readonly version?: number
  /** Default 0 (an ephemeral port). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
}

export interface DemoApi {
  /** e.g. `http://127.0.0.1:PORT/v1/` (with a trailing slash). */
  readonly baseUrl: string
  readonly port: number
  readonly token: string
  readonly stats: () => DemoApiStats
  readonly resetStats: () => void
  readonly rows: (resource: DemoResource) => number
  /** Change how many records a resource has (cursors stay valid). */
  readonly setRows: (resource: DemoResource, rows: number) => void
  readonly version: () => number
  /** Switch the dataset version; some records change (see the module comment). */
  readonly setVersion: (version: number) => void
  /** Replace the fault settings given (keys present in `faults`; `undefined` turns one off). */
  readonly setFaults: (faults: DemoFaults) => void
  readonly close: () => Promise<void>
}

const checkRows = (rows: number): number => {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`)
  return rows
}


/** Starts the server; resolves once it listens. */
export const startDemoApi = (options: DemoApiOptions = {}): Promise<DemoApi> => {
  const rows = perResource(DEFAULT_ROWS)
  if (typeof options.rows === "number") {
    Object.assign(rows, perResource(checkRows(options.rows)))
  } else if (options.rows !== undefined) {
    for (const r of DEMO_RESOURCES) {
      const n = options.rows[r]
      if (n !== undefined) rows[r] = checkRows(n)
    }
  }
  const state = new DemoServerState(options.token ?? DEMO_TOKEN, rows, options.version ?? 0, new FaultInjector(options))

  const server = Http.createServer((req, res) => {
    try {
      handleDemoRequest(state, req, res)
    } catch (e) {
      if (!res.headersSent) sendError(res, 500, e instanceof Error ? e.message : "internal error")
      else res.destroy()
    }
  })
  server.keepAliveTimeout = 30_000

  const host = options.host ?? "127.0.0.1"
  return new Promise<DemoApi>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject)
      const address = server.address()
      const port = address !== null && typeof address === "object" ? address.port : 0
      const urlHost = host.includes(":") ? `[${host}]` : host
      let closed: Promise<void> | undefined
      resolve({
        baseUrl: `http://${urlHost}:${port}/v1/`,
        port,
        token: state.token,
        stats: () => snapshotStats(state.stats),
        resetStats: () => {
          state.stats = emptyStats()
        },
        rows: (resource) => rows[resource],
        setRows: (resource, n) => {
          rows[resource] = checkRows(n)
        },
        version: () => state.version,
        setVersion: (v) => {
          if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`version must be a non-negative integer, got ${v}`)
          state.version = v
        },
        setFaults: (faults) => state.faults.set(faults),
        close: () => {
          closed ??= new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
          return closed
        }
      })
    })
  })
}

/** `startDemoApi` as a scoped resource: the server closes with the scope. */
export const DemoApiScoped = (options?: DemoApiOptions): Effect.Effect<DemoApi, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startDemoApi(options)),
    (api) => Effect.promise(() => api.close())
  )
