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

// ---------------------------------------------------------------------------
// resources and record shapes
// ---------------------------------------------------------------------------

/** The demo API's resources (named as in the seed config). */
export type DemoResource = "appointment_links" | "code_snippets" | "insights_reports"

export const DEMO_RESOURCES: ReadonlyArray<DemoResource> = ["appointment_links", "code_snippets", "insights_reports"]

/** Endpoint path (relative to the base URL `.../v1/`) and the key holding the records. */
export const DEMO_ENDPOINTS: Readonly<Record<DemoResource, { readonly path: string; readonly dataSelector: "data" | "results" }>> = {
  appointment_links: { path: "appointmentlinks/me", dataSelector: "data" },
  code_snippets: { path: "codesnippets", dataSelector: "results" },
  insights_reports: { path: "insightsreports", dataSelector: "results" }
}

export const DEMO_TOKEN = "demo-token-5f2c9e1b7a"
export const DEFAULT_ROWS = 250
export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 100

/**
 * `GET /v1/appointmentlinks/me`, records under `data`. `n = i + 1` below.
 * ```
 * id               string   "apl_000001" (zero-padded to 6 digits)          primary key
 * title            string   "Appointment link n" (+ " (rev L)")
 * description      string | null   null when n % 7 == 0
 * url              string   "https://book.example.com/apl_000001"
 * durationMinutes  integer  15 | 30 | 45 | 60
 * price            number   always with decimals, e.g. 12.34 (+ L)
 * isActive         boolean  false when n % 5 == 0
 * timezone         string | null   IANA name; null when n % 11 == 0
 * createdAt        string   RFC 3339 UTC, e.g. "2024-01-01T00:01:00Z"
 * updatedAt        string   RFC 3339 UTC
 * owner            { id: string "usr_0001", name: string, email: string }
 * tags             string[] 0..3 distinct tags; empty when n % 4 == 1
 * attendees        Array<{ name: string, email: string | null }>   0..2 items; email null for every 2nd attendee of every 3rd record
 * ```
 */
export interface AppointmentLink {
  readonly id: string
  readonly title: string
  readonly description: string | null
  readonly url: string
  readonly durationMinutes: number
  readonly price: number
  readonly isActive: boolean
  readonly timezone: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly owner: { readonly id: string; readonly name: string; readonly email: string }
  readonly tags: ReadonlyArray<string>
  readonly attendees: ReadonlyArray<{ readonly name: string; readonly email: string | null }>
}

/**
 * `GET /v1/codesnippets`, records under `results`.
 * ```
 * id           integer  n (1-based)                                        primary key
 * name         string   "snippet-n.<ext>" (+ " (rev L)")
 * language     string   typescript | python | go | rust | sql | bash
 * code         string   multi-line source with quotes, backslashes and a non-ASCII char
 * description  string | null   null when n % 7 == 0
 * version      integer  1 + L
 * isPublic     boolean  n % 2 == 0
 * sizeBytes    integer
 * score        number   always with decimals, 0.01..99.99
 * archivedAt   string | null   RFC 3339; non-null only when n % 13 == 0
 * createdAt    string   RFC 3339 UTC
 * updatedAt    string   RFC 3339 UTC
 * author       { id: integer, username: string, email: string | null }   email null when n % 6 == 0
 * tags         string[] 0..3 distinct tags; empty when n % 4 == 0
 * files        Array<{ path: string, lines: integer }>   1..3 items
 * ```
 */
export interface CodeSnippet {
  readonly id: number
  readonly name: string
  readonly language: string
  readonly code: string
  readonly description: string | null
  readonly version: number
  readonly isPublic: boolean
  readonly sizeBytes: number
  readonly score: number
  readonly archivedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly author: { readonly id: number; readonly username: string; readonly email: string | null }
  readonly tags: ReadonlyArray<string>
  readonly files: ReadonlyArray<{ readonly path: string; readonly lines: number }>
}

/**
 * `GET /v1/insightsreports`, records under `results`.
 * ```
 * id              string   "rpt_000001"                                     primary key
 * title           string   "Weekly insights n" (+ " (rev L)")
 * status          string   draft | published | archived
 * description     string | null   null when n % 7 == 0
 * periodStart     string   date only "YYYY-MM-DD" (stays text)
 * periodEnd       string   date only "YYYY-MM-DD"
 * conversionRate  number   always with decimals, 0.0001..0.9999
 * totalViews      integer  (+ 10·L)
 * isScheduled     boolean  n % 3 == 0
 * deletedAt       string | null   ALWAYS null in this dataset (a column that only ever sees null)
 * createdAt       string   RFC 3339 UTC
 * updatedAt       string   RFC 3339 UTC
 * meta            { source: string, schemaVersion: integer, owner: { id: string, name: string } | null }
 *                 meta.owner null when n % 5 == 0
 * tags            string[] 0..3 distinct tags; empty when n % 4 == 3
 * metrics         Array<{ name: string, value: number }>   2..4 items; value always with decimals
 * ```
 */
export interface InsightsReport {
  readonly id: string
  readonly title: string
  readonly status: "draft" | "published" | "archived"
  readonly description: string | null
  readonly periodStart: string
  readonly periodEnd: string
  readonly conversionRate: number
  readonly totalViews: number
  readonly isScheduled: boolean
  readonly deletedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly meta: {
    readonly source: string
    readonly schemaVersion: number
    readonly owner: { readonly id: string; readonly name: string } | null
  }
  readonly tags: ReadonlyArray<string>
  readonly metrics: ReadonlyArray<{ readonly name: string; readonly value: number }>
}

export interface DemoRecords {
  readonly appointment_links: AppointmentLink
  readonly code_snippets: CodeSnippet
  readonly insights_reports: InsightsReport
}

// ---------------------------------------------------------------------------
// deterministic generators
// ---------------------------------------------------------------------------

const BASE_MS = Date.UTC(2024, 0, 1)
const VERSION_BASE_MS = Date.UTC(2030, 0, 1)
const DAY_MS = 86_400_000

const TAGS = ["sales", "demo", "onboarding", "support", "priority", "beta"]
const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus"]
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Wirth"]
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
const LANGS: ReadonlyArray<readonly [string, string]> = [
  ["typescript", "ts"],
  ["python", "py"],
  ["go", "go"],
  ["rust", "rs"],
  ["sql", "sql"],
  ["bash", "sh"]
]
const STATUSES: ReadonlyArray<InsightsReport["status"]> = ["draft", "published", "archived"]
const METRICS = ["sessions", "bounceRate", "avgDuration", "revenue"]

const pad = (n: number, width: number): string => String(n).padStart(width, "0")
const rfc3339 = (ms: number): string => new Date(ms).toISOString().slice(0, 19) + "Z"
const dateOnly = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** The last version `<= version` at which record `i` changed (0: never). */
export const lastChange = (i: number, version: number): number => {
  const k = version - ((version + i) % 4)
  return k >= 1 ? k : 0
}

const createdAtMs = (i: number): number => BASE_MS + i * 60_000
const updatedAtMs = (i: number, rev: number): number =>
  rev === 0 ? createdAtMs(i) + 30 * 60_000 : VERSION_BASE_MS + rev * DAY_MS + (i % 86_400) * 1000
const revSuffix = (rev: number): string => (rev === 0 ? "" : ` (rev ${rev})`)
/** A number with 1..2 decimals that is never an integer: `whole + cents/100` with cents in 1..99. */
const decimal = (whole: number, seed: number): number => (whole * 100 + 1 + (seed % 99)) / 100
const tagsFor = (i: number): Array<string> => {
  const count = i % 4
  const out: Array<string> = []
  for (let k = 0; k < count; k++) out.push(TAGS[(i + k * 2) % TAGS.length])
  return out
}
const person = (j: number) => {
  const first = FIRST[j % FIRST.length]
  const last = LAST[Math.floor(j / FIRST.length) % LAST.length]
  return { name: `${first} ${last}`, email: `${first.toLowerCase()}.${last.toLowerCase()}${j}@example.com` }
}

export const appointmentLinkAt = (i: number, version = 0): AppointmentLink => {
  const n = i + 1
  const rev = lastChange(i, version)
  const id = `apl_${pad(n, 6)}`
  const ownerIdx = i % 37
  const owner = person(ownerIdx)
  const attendees: Array<{ name: string; email: string | null }> = []
  for (let k = 0; k < i % 3; k++) {
    const p = person(i * 3 + k)
    attendees.push({ name: p.name, email: k === 1 && n % 3 === 0 ? null : p.email })
  }
  return {
    id,
    title: `Appointment link ${n}${revSuffix(rev)}`,
    description: n % 7 === 0 ? null : `Book a ${[15, 30, 45, 60][i % 4]}-minute call with ${owner.name}`,
    url: `https://book.example.com/${id}`,
    durationMinutes: [15, 30, 45, 60][i % 4],
    price: decimal(10 + (i % 90) + rev, i * 37),
    isActive: n % 5 !== 0,
    timezone: n % 11 === 0 ? null : ZONES[i % ZONES.length],
    createdAt: rfc3339(createdAtMs(i)),
    updatedAt: rfc3339(updatedAtMs(i, rev)),
    owner: { id: `usr_${pad(ownerIdx + 1, 4)}`, name: owner.name, email: owner.email },
    tags: tagsFor(i),
    attendees
  }
}

export const codeSnippetAt = (i: number, version = 0): CodeSnippet => {
  const n = i + 1
  const rev = lastChange(i, version)
  const [language, ext] = LANGS[i % LANGS.length]
  const code = `// snippet ${n} — "quoted" and 'single'\nconst path = "C:\\\\tmp\\\\${n}"\nprint(\`${n * 7}\`)\n`
  const authorIdx = i % 23
  const author = person(authorIdx + 100)
  const files: Array<{ path: string; lines: number }> = []
  for (let k = 0; k <= i % 3; k++) files.push({ path: `src/file${k}.${ext}`, lines: 10 + ((i * 7 + k * 13) % 500) })
  return {
    id: n,
    name: `snippet-${n}.${ext}${revSuffix(rev)}`,
    language,
    code,
    description: n % 7 === 0 ? null : `A ${language} snippet number ${n}`,
    version: 1 + rev,
    isPublic: n % 2 === 0,
    sizeBytes: code.length * 2 + (i % 1000),
    score: decimal(i % 100, i * 13),
    archivedAt: n % 13 === 0 ? rfc3339(createdAtMs(i) + 7 * DAY_MS) : null,
    createdAt: rfc3339(createdAtMs(i)),
    updatedAt: rfc3339(updatedAtMs(i, rev)),
    author: { id: authorIdx + 1, username: author.name.toLowerCase().replace(" ", "_"), email: n % 6 === 0 ? null : author.email },
    tags: tagsFor(i + 1),
    files
  }
}

export const insightsReportAt = (i: number, version = 0): InsightsReport => {
  const n = i + 1
  const rev = lastChange(i, version)
  const periodStartMs = BASE_MS + (i % 700) * DAY_MS
  const metrics: Array<{ name: string; value: number }> = []
  for (let k = 0; k < 2 + (i % 3); k++) metrics.push({ name: METRICS[k], value: decimal((i * (k + 3)) % 1000, i + k) })
  const ownerIdx = i % 19
  return {
    id: `rpt_${pad(n, 6)}`,
    title: `Weekly insights ${n}${revSuffix(rev)}`,
    status: STATUSES[i % STATUSES.length],
    description: n % 7 === 0 ? null : `Insights for week ${(i % 52) + 1}`,
    periodStart: dateOnly(periodStartMs),
    periodEnd: dateOnly(periodStartMs + 6 * DAY_MS),
    conversionRate: (1 + ((i * 7919) % 9999)) / 10_000,
    totalViews: ((i * 131) % 100_000) + rev * 10,
    isScheduled: n % 3 === 0,
    deletedAt: null,
    createdAt: rfc3339(createdAtMs(i)),
    updatedAt: rfc3339(updatedAtMs(i, rev)),
    meta: {
      source: i % 2 === 0 ? "web" : "mobile",
      schemaVersion: 2,
      owner: n % 5 === 0 ? null : { id: `usr_${pad(ownerIdx + 1, 4)}`, name: person(ownerIdx + 200).name }
    },
    tags: tagsFor(i + 2),
    metrics
  }
}

/** The record at 0-based `index` of `resource` in dataset `version` (what the API serves). */
export const recordAt = <R extends DemoResource>(resource: R, index: number, version = 0): DemoRecords[R] => {
  const generators: { readonly [K in DemoResource]: (i: number, v: number) => DemoRecords[K] } = {
    appointment_links: appointmentLinkAt,
    code_snippets: codeSnippetAt,
    insights_reports: insightsReportAt
  }
  return generators[resource](index, version)
}

const generate = (resource: DemoResource, i: number, version: number): unknown =>
  resource === "appointment_links"
    ? appointmentLinkAt(i, version)
    : resource === "code_snippets"
    ? codeSnippetAt(i, version)
    : insightsReportAt(i, version)

// ---------------------------------------------------------------------------
// cursors
// ---------------------------------------------------------------------------

const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

const checksum = (resource: DemoResource, offset: number): string => fnv1a(`${resource}|${offset}|demo-cursor`).toString(36)

/** The opaque cursor for `offset` of `resource`: base64url of `offset.checksum`. */
export const encodeCursor = (resource: DemoResource, offset: number): string =>
  Buffer.from(`${offset.toString(36)}.${checksum(resource, offset)}`, "utf8").toString("base64url")

/** The offset of a cursor, or `undefined` if it is not one this API issued for `resource`. */
export const decodeCursor = (resource: DemoResource, cursor: string): number | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const m = /^([0-9a-z]+)\.([0-9a-z]+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"))
  if (m === null) return undefined
  const offset = parseInt(m[1], 36)
  if (!Number.isSafeInteger(offset) || checksum(resource, offset) !== m[2]) return undefined
  return offset
}

// ---------------------------------------------------------------------------
// server
// ---------------------------------------------------------------------------

export interface DemoMalformedPage {
  readonly resource: DemoResource
  /** 1-based page number, counted with the request's `limit` (`offset / limit + 1`). */
  readonly page: number
  /** How many times to answer it malformed (default: always). */
  readonly times?: number
}

export interface DemoFailure {
  /** Only requests for this resource (default: any). */
  readonly resource?: DemoResource
  /** Only this 1-based page (default: any). */
  readonly page?: number
  /** Only once this many authenticated requests have been received (default 0). */
  readonly afterRequests?: number
  readonly status: number
  /** Response body (default `{"error":"injected failure"}`). */
  readonly body?: string
  /** How many times it fires (default: always). */
  readonly times?: number
}

export interface DemoFaults {
  /** Every Nth authenticated request answers `429` with `Retry-After: 1`. */
  readonly rateLimitEvery?: number | undefined
  /** Every Nth authenticated request answers `503` (a 429 wins when both apply). */
  readonly transientErrorEvery?: number | undefined
  /** That page answers `200` with a body that is not valid JSON. */
  readonly malformedPageAt?: DemoMalformedPage | undefined
  /** Arbitrary injected responses, checked in order after the rate-limit/transient faults. */
  readonly failures?: ReadonlyArray<DemoFailure> | undefined
}

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

export interface DemoApiStats {
  /** Every request received, including rejected ones. */
  readonly requests: number
  /** Requests per URL path (without query), e.g. `/v1/codesnippets`. */
  readonly byPath: Readonly<Record<string, number>>
  /** Pages served successfully (status 200, valid JSON), per resource. */
  readonly pages: Readonly<Record<DemoResource, number>>
  /** Records served in those pages, per resource. */
  readonly records: Readonly<Record<DemoResource, number>>
  readonly rateLimited: number
  readonly transientErrors: number
  readonly unauthorized: number
  readonly badRequests: number
  readonly malformed: number
  readonly injectedFailures: number
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

const resourceByPath: ReadonlyMap<string, DemoResource> = new Map(
  DEMO_RESOURCES.map((r) => [`/v1/${DEMO_ENDPOINTS[r].path}`, r] as const)
)

const perResource = (n: number): Record<DemoResource, number> => ({
  appointment_links: n,
  code_snippets: n,
  insights_reports: n
})

const checkRows = (rows: number): number => {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`)
  return rows
}

interface MutableStats {
  requests: number
  byPath: Record<string, number>
  pages: Record<DemoResource, number>
  records: Record<DemoResource, number>
  rateLimited: number
  transientErrors: number
  unauthorized: number
  badRequests: number
  malformed: number
  injectedFailures: number
}

const emptyStats = (): MutableStats => ({
  requests: 0,
  byPath: {},
  pages: perResource(0),
  records: perResource(0),
  rateLimited: 0,
  transientErrors: 0,
  unauthorized: 0,
  badRequests: 0,
  malformed: 0,
  injectedFailures: 0
})

/** Starts the server; resolves once it listens. */
export const startDemoApi = (options: DemoApiOptions = {}): Promise<DemoApi> => {
  const token = options.token ?? DEMO_TOKEN
  const rows = perResource(DEFAULT_ROWS)
  if (typeof options.rows === "number") {
    Object.assign(rows, perResource(checkRows(options.rows)))
  } else if (options.rows !== undefined) {
    for (const r of DEMO_RESOURCES) {
      const n = options.rows[r]
      if (n !== undefined) rows[r] = checkRows(n)
    }
  }
  let version = options.version ?? 0
  let rateLimitEvery = options.rateLimitEvery
  let transientErrorEvery = options.transientErrorEvery
  let malformed: { spec: DemoMalformedPage; left: number } | undefined
  let failures: Array<{ spec: DemoFailure; left: number }> = []
  const setFaults = (faults: DemoFaults) => {
    if ("rateLimitEvery" in faults) rateLimitEvery = faults.rateLimitEvery
    if ("transientErrorEvery" in faults) transientErrorEvery = faults.transientErrorEvery
    if ("malformedPageAt" in faults) {
      const spec = faults.malformedPageAt
      malformed = spec === undefined ? undefined : { spec, left: spec.times ?? Infinity }
    }
    if ("failures" in faults) failures = (faults.failures ?? []).map((spec) => ({ spec, left: spec.times ?? Infinity }))
  }
  setFaults(options)

  let stats = emptyStats()
  let authenticated = 0

  const send = (res: Http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
      ...headers
    })
    res.end(body)
  }
  const sendError = (res: Http.ServerResponse, status: number, error: string, headers?: Record<string, string>) =>
    send(res, status, JSON.stringify({ error }), headers)

  const handle = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://demo.invalid")
    stats.requests++
    stats.byPath[url.pathname] = (stats.byPath[url.pathname] ?? 0) + 1

    if (req.headers["x-api-token"] !== token) {
      stats.unauthorized++
      return sendError(res, 401, "invalid token")
    }
    const n = ++authenticated
    if (rateLimitEvery !== undefined && rateLimitEvery > 0 && n % rateLimitEvery === 0) {
      stats.rateLimited++
      return sendError(res, 429, "rate limited", { "retry-after": "1" })
    }
    if (transientErrorEvery !== undefined && transientErrorEvery > 0 && n % transientErrorEvery === 0) {
      stats.transientErrors++
      return sendError(res, 503, "service temporarily unavailable")
    }

    const resource = resourceByPath.get(url.pathname.replace(/\/+$/, ""))
    if (resource === undefined) return sendError(res, 404, "not found")
    if (req.method !== "GET") return sendError(res, 405, "method not allowed", { allow: "GET" })

    const limitParam = url.searchParams.get("limit")
    let limit = DEFAULT_LIMIT
    if (limitParam !== null) {
      if (!/^[0-9]+$/.test(limitParam) || Number(limitParam) < 1) {
        stats.badRequests++
        return sendError(res, 400, "limit must be a positive integer")
      }
      limit = Math.min(Number(limitParam), MAX_LIMIT)
    }
    const cursor = url.searchParams.get("next")
    let offset = 0
    if (cursor !== null) {
      const decoded = decodeCursor(resource, cursor)
      if (decoded === undefined) {
        stats.badRequests++
        return sendError(res, 400, "invalid cursor")
      }
      offset = decoded
    }
    const page = Math.floor(offset / limit) + 1

    for (const f of failures) {
      const s = f.spec
      if (
        f.left > 0 && (s.resource === undefined || s.resource === resource) && (s.page === undefined || s.page === page) &&
        n > (s.afterRequests ?? 0)
      ) {
        f.left--
        stats.injectedFailures++
        return send(res, s.status, s.body ?? JSON.stringify({ error: "injected failure" }))
      }
    }
    if (malformed !== undefined && malformed.left > 0 && malformed.spec.resource === resource && malformed.spec.page === page) {
      malformed.left--
      stats.malformed++
      return send(res, 200, `{"${DEMO_ENDPOINTS[resource].dataSelector}": [{"id": 1,, "truncated`)
    }

    const total = rows[resource]
    const start = Math.min(offset, total)
    const end = Math.min(start + limit, total)
    const records: Array<unknown> = []
    for (let i = start; i < end; i++) records.push(generate(resource, i, version))
    stats.pages[resource]++
    stats.records[resource] += records.length
    const body = `{"${DEMO_ENDPOINTS[resource].dataSelector}":${JSON.stringify(records)},"next":${
      JSON.stringify(encodeCursor(resource, end))
    },"hasNext":${end < total}}`
    return send(res, 200, body)
  }

  const server = Http.createServer((req, res) => {
    try {
      handle(req, res)
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
        token,
        stats: () => ({
          ...stats,
          byPath: { ...stats.byPath },
          pages: { ...stats.pages },
          records: { ...stats.records }
        }),
        resetStats: () => {
          stats = emptyStats()
        },
        rows: (resource) => rows[resource],
        setRows: (resource, n) => {
          rows[resource] = checkRows(n)
        },
        version: () => version,
        setVersion: (v) => {
          if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`version must be a non-negative integer, got ${v}`)
          version = v
        },
        setFaults,
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
