/**
 * The dlt-parity API: one loopback HTTP server (node:http, 127.0.0.1, port 0) emulating the API
 * styles our dlt-parity end-to-end tests configure the way a dlt user would. Each style lives
 * under its own path prefix. All data is generated deterministically from the options, can be
 * mutated between runs (helpers below), and every request is counted and logged.
 *
 * Styles (see `startParityApi` for the exact contract of each endpoint):
 * 1. `/github`       GitHub-like: bearer auth, `Link` header paging, `since` filter, a 404 repo,
 *                    `X-RateLimit-*` headers.
 * 2. `/pokeapi`      PokeAPI-like: `{count, next, previous, results}` with absolute `next` URLs,
 *                    and a detail endpoint per pokemon (parent/child).
 * 3. `/stripe/v1`    Stripe-like: `{object: "list", data, has_more}` + `starting_after=<id>`.
 * 4. `/headercursor` a JSON array per page, the next cursor in the `X-Next-Cursor` header.
 * 5. `/search`       POST search, page number and size in the JSON body, `{items, total_pages}`.
 * 6. `/oauth`        OAuth2 client-credentials token endpoint + a bearer-protected API.
 * 7. `/inc`          incremental: server-side `updated_since` filter, and a twin that ignores it.
 * 8. `/flaky`        a `200` carrying `{"error": "temporarily unavailable"}` the first N times.
 */
import * as Http from "node:http"
import { Effect } from "effect"
import type * as Scope from "effect/Scope"

// ---------------------------------------------------------------------------
// options and defaults
// ---------------------------------------------------------------------------

export const PARITY_GITHUB_TOKEN = "ghp_parity_token_0001"
export const PARITY_GITHUB_OWNER = "parity-org"
export const PARITY_OAUTH_CLIENT_ID = "parity-client"
export const PARITY_OAUTH_CLIENT_SECRET = "parity-secret"

export interface ParityApiOptions {
  /** GitHub: accepted bearer token. Default `PARITY_GITHUB_TOKEN`. */
  readonly githubToken?: string
  /** GitHub: number of repos `repo-1..repo-N` of owner `PARITY_GITHUB_OWNER`. Default 7. */
  readonly repos?: number
  /** GitHub: issues of repo k (1-based). Default `k => 3 * k`. */
  readonly issuesPerRepo?: (k: number) => number
  /** GitHub: repos (by name) whose issues endpoint answers 404. Default `["repo-3"]`. */
  readonly missingIssuesRepos?: ReadonlyArray<string>
  /** PokeAPI: number of pokemon. Default 53. */
  readonly pokemon?: number
  /** Stripe: number of customers. Default 25. */
  readonly customers?: number
  /** Stripe: when set, `Authorization: Bearer <key>` or Basic `<key>:` is required. Default: no auth. */
  readonly stripeSecretKey?: string
  /** Header cursor: number of events. Default 23. */
  readonly events?: number
  /** Header cursor: events per page (the `limit` query param overrides). Default 10. */
  readonly eventsPageSize?: number
  /** POST search: number of items. Default 37. */
  readonly searchItems?: number
  /** OAuth2: credentials. Defaults `PARITY_OAUTH_CLIENT_ID` / `PARITY_OAUTH_CLIENT_SECRET`. */
  readonly oauthClientId?: string
  readonly oauthClientSecret?: string
  /** OAuth2: `expires_in` announced in token responses, in seconds. Default 3600. */
  readonly oauthExpiresIn?: number
  /** OAuth2: how long the server accepts a token, in seconds. Default = `oauthExpiresIn`. */
  readonly oauthTokenLifetime?: number
  /** OAuth2: number of things and page size. Defaults 12 and 5. */
  readonly things?: number
  readonly thingsPageSize?: number
  /** Incremental: number of orders and default page size (query `per_page` overrides). Defaults 30 and 10. */
  readonly orders?: number
  readonly ordersPageSize?: number
  /** Flaky: how many requests get the 200-with-error body before real data. Default 2. */
  readonly flakyFailures?: number
  /** Flaky: number of items in the real answer. Default 5. */
  readonly flakyItems?: number
}

// ---------------------------------------------------------------------------
// record shapes
// ---------------------------------------------------------------------------

export interface GithubRepo {
  readonly id: number
  readonly name: string
  readonly full_name: string
  readonly owner: { readonly login: string }
  readonly updated_at: string
}

export interface GithubIssue {
  readonly id: number
  readonly number: number
  readonly title: string
  readonly state: "open" | "closed"
  readonly created_at: string
  readonly updated_at: string
  readonly labels: ReadonlyArray<{ readonly name: string }>
  readonly user: { readonly login: string }
}

export interface Pokemon {
  readonly id: number
  readonly name: string
  readonly height: number
  readonly weight: number
  readonly types: ReadonlyArray<{ readonly slot: number; readonly type: { readonly name: string } }>
}

export interface StripeCustomer {
  readonly id: string
  readonly object: "customer"
  readonly email: string
  readonly created: number
  readonly metadata: { readonly tier: string; readonly index: string }
}

export interface HeaderEvent {
  readonly id: string
  readonly type: string
  readonly occurred_at: string
  readonly payload: { readonly n: number }
}

export interface SearchItem {
  readonly id: number
  readonly name: string
  readonly category: string
  readonly score: number
  readonly tags: ReadonlyArray<string>
}

export interface Thing {
  readonly id: number
  readonly name: string
  readonly kind: string
}

export type OrderStatus = "pending" | "paid" | "shipped" | "delivered"

export interface Order {
  readonly id: number
  readonly status: OrderStatus
  readonly updated_at: string
  readonly amount: number
}

export interface FlakyItem {
  readonly id: number
  readonly value: string
}

// ---------------------------------------------------------------------------
// deterministic generators (exported so tests can compute expectations)
// ---------------------------------------------------------------------------

const HOUR = 3_600_000

/** RFC 3339 UTC without milliseconds when they are zero, as GitHub writes them. */
export const isoOf = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, "Z")

const isoFrom = (at: string | Date): string => {
  const ms = typeof at === "string" ? Date.parse(at) : at.getTime()
  if (Number.isNaN(ms)) throw new Error(`invalid date: ${String(at)}`)
  return isoOf(ms)
}

export const githubRepoAt = (k: number): GithubRepo => ({
  id: 1000 + k,
  name: `repo-${k}`,
  full_name: `${PARITY_GITHUB_OWNER}/repo-${k}`,
  owner: { login: PARITY_GITHUB_OWNER },
  updated_at: isoOf(Date.UTC(2024, 5, k, 12))
})

/** Issue `n` (1-based) of repo `k`: updated 2024-01-(1+n) at k:00 UTC, created n hours after 2023-12-31. */
export const githubIssueAt = (k: number, n: number): GithubIssue => {
  const labels: Array<{ name: string }> = []
  if (n % 2 === 0) labels.push({ name: "bug" })
  if (n % 5 === 0) labels.push({ name: "enhancement" })
  return {
    id: k * 100_000 + n,
    number: n,
    title: `Issue ${n} of repo-${k}`,
    state: n % 3 === 0 ? "closed" : "open",
    created_at: isoOf(Date.UTC(2023, 11, 31) + n * HOUR),
    updated_at: isoOf(Date.UTC(2024, 0, 1 + n, k)),
    labels,
    user: { login: `user${n % 4}` }
  }
}

const POKEMON_NAMES = [
  "bulbasaur", "ivysaur", "venusaur", "charmander", "charmeleon", "charizard", "squirtle", "wartortle",
  "blastoise", "caterpie", "metapod", "butterfree", "weedle", "kakuna", "beedrill", "pidgey", "pidgeotto",
  "pidgeot", "rattata", "raticate"
]
const POKEMON_TYPES = ["grass", "poison", "fire", "flying", "water", "bug", "normal"]

/** Pokemon with id `id` (1-based). */
export const pokemonAt = (id: number): Pokemon => {
  const types = [{ slot: 1, type: { name: POKEMON_TYPES[id % POKEMON_TYPES.length] } }]
  if (id % 3 === 0) types.push({ slot: 2, type: { name: POKEMON_TYPES[(id + 3) % POKEMON_TYPES.length] } })
  return {
    id,
    name: id <= POKEMON_NAMES.length ? POKEMON_NAMES[id - 1] : `pokemon-${id}`,
    height: 3 + (id % 17),
    weight: 40 + id * 7,
    types
  }
}

export const customerIdOf = (i: number): string => `cus_${String(i).padStart(6, "0")}`

/** Customer `i` (1-based). */
export const customerAt = (i: number): StripeCustomer => ({
  id: customerIdOf(i),
  object: "customer",
  email: `customer${i}@example.com`,
  created: 1_704_067_200 + i * 3600,
  metadata: { tier: ["gold", "silver", "bronze"][i % 3], index: String(i) }
})

/** Event `i` (1-based). */
export const headerEventAt = (i: number): HeaderEvent => ({
  id: `evt_${String(i).padStart(5, "0")}`,
  type: ["created", "updated", "deleted"][i % 3],
  occurred_at: isoOf(Date.UTC(2024, 1, 1) + i * 60_000),
  payload: { n: i }
})

const SEARCH_CATEGORIES = ["books", "games", "tools"]

/** Search item `i` (1-based); category `["books","games","tools"][i % 3]`. */
export const searchItemAt = (i: number): SearchItem => ({
  id: i,
  name: `Item ${i}`,
  category: SEARCH_CATEGORIES[i % 3],
  score: Math.round(((i * 37) % 100) * 1.5) / 10,
  tags: i % 4 === 0 ? [] : [`t${i % 4}`]
})

export const thingAt = (i: number): Thing => ({ id: i, name: `Thing ${i}`, kind: i % 2 === 0 ? "even" : "odd" })

const ORDER_STATUSES: ReadonlyArray<OrderStatus> = ["pending", "paid", "shipped", "delivered"]
const nextStatus = (s: OrderStatus): OrderStatus => ORDER_STATUSES[(ORDER_STATUSES.indexOf(s) + 1) % ORDER_STATUSES.length]

/** Order `i` (1-based) as generated initially: updated 2024-03-01T00:00Z + i hours. */
export const orderAt = (i: number): Order => ({
  id: i,
  status: ORDER_STATUSES[i % 3],
  updated_at: isoOf(Date.UTC(2024, 2, 1) + i * HOUR),
  amount: Math.round(i * 1234.5) / 100
})

export const flakyItemAt = (i: number): FlakyItem => ({ id: i, value: `value ${i}` })

// ---------------------------------------------------------------------------
// the public handle
// ---------------------------------------------------------------------------

export interface LoggedRequest {
  /** 1-based sequence number since start (not reset by `resetLog`). */
  readonly seq: number
  readonly method: string
  /** Path without query string, e.g. `/github/user/repos`. */
  readonly path: string
  /** Query parameters (the last value wins for repeated keys). */
  readonly query: Readonly<Record<string, string>>
  /** Raw query string including the `?`, or "". */
  readonly search: string
  /** Request headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON body (content-type json), form fields (x-www-form-urlencoded), else undefined. */
  readonly body: unknown
  readonly rawBody: string
  /** Response status. */
  readonly status: number
}

export interface ParityStats {
  readonly total: number
  /** Keyed by path without query. */
  readonly byPath: Readonly<Record<string, number>>
  /** Keyed by upper-case method. */
  readonly byMethod: Readonly<Record<string, number>>
  /** `POST /oauth/token` requests (any outcome). */
  readonly tokenRequests: number
  /** Tokens issued. */
  readonly tokensIssued: number
  /** `/flaky/items` answers that carried the error body. */
  readonly flakyErrors: number
}

export interface ParityApi {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly baseUrl: string
  /** Base URLs per style, each with a trailing slash. */
  readonly bases: {
    readonly github: string
    readonly pokeapi: string
    readonly stripe: string
    readonly headercursor: string
    readonly search: string
    readonly oauth: string
    readonly inc: string
    readonly flaky: string
  }
  /** `POST` here for OAuth2 tokens: `<baseUrl>/oauth/token`. */
  readonly tokenUrl: string
  readonly githubToken: string
  readonly oauthClientId: string
  readonly oauthClientSecret: string
  readonly stats: () => ParityStats
  readonly log: () => ReadonlyArray<LoggedRequest>
  /** Clears the log and every counter of `stats()`. */
  readonly resetLog: () => void
  /** Restores all data, the flaky counter and token state to what the options generate. Leaves the log alone. */
  readonly resetData: () => void

  // GitHub
  readonly repos: () => ReadonlyArray<GithubRepo>
  readonly issues: (repo: string) => ReadonlyArray<GithubIssue>
  /** Sets `updated_at` of the given issues (and toggles their state open <-> closed when `toggleState`). */
  readonly touchIssues: (repo: string, numbers: ReadonlyArray<number>, at: string | Date, toggleState?: boolean) => void
  /** Appends `n` issues to a repo; updated_at = `at` or one hour after the repo's latest updated_at, each. */
  readonly addIssues: (repo: string, n: number, at?: string | Date) => ReadonlyArray<GithubIssue>
  /** GitHub requests counted against the rate limit since start. */
  readonly githubRateLimitUsed: () => number

  // PokeAPI / Stripe / header cursor / search / oauth / flaky
  readonly addPokemon: (n: number) => void
  readonly addCustomers: (n: number) => void
  readonly addEvents: (n: number) => void
  readonly addSearchItems: (n: number) => void
  readonly addThings: (n: number) => void
  /** Invalidates every issued OAuth2 token (the API then answers 401 until a new token is fetched). */
  readonly expireTokens: () => void
  /** The next `n` requests to `/flaky/items` get the error body. */
  readonly setFlakyFailures: (n: number) => void

  // incremental
  readonly orders: () => ReadonlyArray<Order>
  /** Advances the status (pending → paid → shipped → delivered → pending) and sets updated_at of each id. */
  readonly touchOrders: (ids: ReadonlyArray<number>, at: string | Date) => void
  /** Appends `n` orders (ids continue); updated_at = `at` or one hour after the latest updated_at, each. */
  readonly addOrders: (n: number, at?: string | Date) => ReadonlyArray<Order>

  /** The next `times` requests to `path` (no query, e.g. `/pokeapi/pokemon`) answer `status` with `body`. */
  readonly failNext: (path: string, status: number, times?: number, body?: unknown, headers?: Readonly<Record<string, string>>) => void

  readonly close: () => Promise<void>
}

// ---------------------------------------------------------------------------
// server
// ---------------------------------------------------------------------------

interface Reply {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
  /** When set, sent as-is with content-type text/plain. */
  readonly text?: string
}

interface Req {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly rawBody: string
  readonly contentType: string
}

interface Injected {
  readonly status: number
  readonly body: unknown
  readonly headers: Readonly<Record<string, string>>
  remaining: number
}

const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Reply => ({ status, body, headers })

const range = (n: number, f: (i: number) => void) => {
  for (let i = 1; i <= n; i++) f(i)
}

/** A query param as a positive integer; `fallback` when absent; `undefined` when invalid. */
const positiveInt = (url: URL, name: string, fallback: number): number | undefined => {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === "") return fallback
  if (!/^\d+$/.test(raw)) return undefined
  const n = Number(raw)
  return n >= 1 ? n : undefined
}

const nonNegativeInt = (url: URL, name: string, fallback: number): number | undefined => {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === "") return fallback
  return /^\d+$/.test(raw) ? Number(raw) : undefined
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const portOf = (address: ReturnType<Http.Server["address"]>): number =>
  typeof address === "object" && address !== null ? address.port : 0

const lowerHeaders = (req: Http.IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

const bearerOf = (headers: Readonly<Record<string, string>>): string | undefined => {
  const m = /^(?:bearer|token)\s+(.+)$/i.exec(headers["authorization"] ?? "")
  return m === null ? undefined : m[1].trim()
}

/**
 * Starts the parity API. Endpoint contract (all bodies JSON unless noted; all list pages 1-based
 * unless noted; an unknown path → `404 {"message":"Not Found"}`; a wrong method → `405` + `Allow`):
 *
 * GitHub (`bases.github`, auth `Authorization: Bearer <githubToken>` (or `token <t>`), else
 * `401 {"message":"Bad credentials"}`; every answer carries `X-RateLimit-Limit: 5000`,
 * `X-RateLimit-Remaining`, `X-RateLimit-Used`, `X-RateLimit-Reset` (epoch seconds)):
 * - `GET user/repos?per_page=30&page=1` → `GithubRepo[]` in id order. `per_page` is clamped to 100.
 * - `GET repos/{owner}/{repo}` → one `GithubRepo` (404 when unknown).
 * - `GET repos/{owner}/{repo}/issues?per_page=30&page=1&state=open|closed|all&since=<ISO>&sort=created|updated&direction=desc|asc`
 *   → `GithubIssue[]`; defaults as GitHub: `state=open`, `sort=created`, `direction=desc`; `since`
 *   keeps `updated_at >= since` (an invalid date → `422 {"message":"Validation Failed"}`).
 *   Repos in `missingIssuesRepos` and unknown repos → `404 {"message":"Not Found"}`.
 * - Paging: `Link: <abs-url>; rel="next", <abs-url>; rel="last"` (plus `rel="prev"`, `rel="first"`
 *   after page 1), URLs keep every other query param; no `rel="next"` on the last page; no
 *   `Link` header at all when everything fits on one page.
 *
 * PokeAPI (`bases.pokeapi`, no auth):
 * - `GET pokemon?limit=20&offset=0` → `{count, next: abs-url | null, previous: abs-url | null,
 *   results: [{name, url: "<base>pokeapi/pokemon/<id>/"}]}`.
 * - `GET pokemon/{name-or-id}` (trailing slash optional) → `Pokemon`; unknown → `404` text `Not Found`.
 *
 * Stripe (`bases.stripe` = `.../stripe/v1/`; auth only when `stripeSecretKey` is set):
 * - `GET customers?limit=10&starting_after=<id>` → `{object: "list", url: "/v1/customers",
 *   has_more, data: StripeCustomer[]}`, ascending by id; `limit` 1..100 (else 400);
 *   unknown `starting_after` → `400 {"error": {"type": "invalid_request_error", "message"}}`.
 *
 * Header cursor (`bases.headercursor`):
 * - `GET events?cursor=<opaque>&limit=<eventsPageSize>` → `HeaderEvent[]` (a bare array); the
 *   header `X-Next-Cursor` carries the next cursor and is absent on the last page. A garbled
 *   cursor → `400 {"error": "invalid cursor"}`.
 *
 * POST search (`bases.search`):
 * - `POST items` with `Content-Type: application/json` (else 415) and body
 *   `{"query"?: {"category"?: string, "text"?: string}, "page"?: {"number"?: 1, "size"?: 10}}`
 *   → `{items: SearchItem[], total_pages, page}` (number 1-based, size 1..100; bad JSON or bad
 *   shape → `400 {"error": "..."}`). `GET` → `405` with `Allow: POST`.
 *
 * OAuth2 (`bases.oauth`):
 * - `POST token`, form `grant_type=client_credentials&client_id&client_secret` (client
 *   credentials may instead come as HTTP Basic) → `{access_token, token_type: "bearer",
 *   expires_in}`; wrong grant → `400 {"error": "unsupported_grant_type"}`; wrong client →
 *   `401 {"error": "invalid_client"}`; not form-encoded → `400 {"error": "invalid_request"}`.
 * - `GET api/things?page=1` with `Authorization: Bearer <access_token>` → `{data: Thing[],
 *   next_page: number | null}`; a missing, unknown or expired token → `401 {"error": "invalid_token"}`.
 *
 * Incremental (`bases.inc`):
 * - `GET orders?updated_since=<ISO>&page=1&per_page=<ordersPageSize>` → `{orders: Order[], page,
 *   total_pages}`, ascending by id, `updated_at >= updated_since` when given (invalid → 400).
 * - `GET orders_noparam?page=1&per_page=...` → the same, ignoring any filter param.
 *
 * Flaky (`bases.flaky`):
 * - `GET items` → the first `flakyFailures` times `200 {"error": "temporarily unavailable"}`,
 *   then `200 {"data": FlakyItem[]}`.
 */
export const startParityApi = (options: ParityApiOptions = {}): Promise<ParityApi> => {
  const githubToken = options.githubToken ?? PARITY_GITHUB_TOKEN
  const repoCount = options.repos ?? 7
  const issuesPerRepo = options.issuesPerRepo ?? ((k: number) => 3 * k)
  const missingIssues = new Set(options.missingIssuesRepos ?? ["repo-3"])
  const oauthClientId = options.oauthClientId ?? PARITY_OAUTH_CLIENT_ID
  const oauthClientSecret = options.oauthClientSecret ?? PARITY_OAUTH_CLIENT_SECRET
  const oauthExpiresIn = options.oauthExpiresIn ?? 3600
  const oauthLifetime = options.oauthTokenLifetime ?? oauthExpiresIn
  const eventsPageSize = options.eventsPageSize ?? 10
  const thingsPageSize = options.thingsPageSize ?? 5
  const ordersPageSize = options.ordersPageSize ?? 10
  const rateLimitReset = Math.floor(Date.now() / 1000) + 3600

  // ---- mutable state ----
  let repos: Array<GithubRepo> = []
  let issuesByRepo = new Map<string, Array<GithubIssue>>()
  let pokemonCount = 0
  let customerCount = 0
  let eventCount = 0
  let searchCount = 0
  let thingCount = 0
  let orders: Array<Order> = []
  let flakyRemaining = 0
  let flakyItems = 0
  let tokens = new Map<string, number>() // token → expiry (ms)
  let tokenSerial = 0
  const injected = new Map<string, Injected>()

  const resetData = () => {
    repos = []
    issuesByRepo = new Map()
    range(repoCount, (k) => {
      const repo = githubRepoAt(k)
      repos.push(repo)
      const list: Array<GithubIssue> = []
      range(issuesPerRepo(k), (n) => list.push(githubIssueAt(k, n)))
      issuesByRepo.set(repo.name, list)
    })
    pokemonCount = options.pokemon ?? 53
    customerCount = options.customers ?? 25
    eventCount = options.events ?? 23
    searchCount = options.searchItems ?? 37
    thingCount = options.things ?? 12
    orders = []
    range(options.orders ?? 30, (i) => orders.push(orderAt(i)))
    flakyRemaining = options.flakyFailures ?? 2
    flakyItems = options.flakyItems ?? 5
    tokens = new Map()
    injected.clear()
  }
  resetData()

  // ---- counters and log ----
  let seq = 0
  let total = 0
  let byPath: Record<string, number> = {}
  let byMethod: Record<string, number> = {}
  let tokenRequests = 0
  let tokensIssued = 0
  let flakyErrors = 0
  let githubUsed = 0
  let log: Array<LoggedRequest> = []

  let origin = ""

  // ---- GitHub ----
  const linkHeader = (url: URL, page: number, lastPage: number): string | undefined => {
    if (lastPage <= 1) return undefined
    const at = (p: number) => {
      const u = new URL(url.pathname + url.search, origin)
      u.searchParams.set("page", String(p))
      return `<${u.toString()}>`
    }
    const parts: Array<string> = []
    if (page > 1) parts.push(`${at(Math.min(page - 1, lastPage))}; rel="prev"`)
    if (page < lastPage) parts.push(`${at(page + 1)}; rel="next"`)
    parts.push(`${at(lastPage)}; rel="last"`)
    if (page > 1) parts.push(`${at(1)}; rel="first"`)
    return parts.join(", ")
  }

  const githubPage = <A>(req: Req, all: ReadonlyArray<A>, extra: Record<string, string>): Reply => {
    const perPage = positiveInt(req.url, "per_page", 30)
    const page = positiveInt(req.url, "page", 1)
    if (perPage === undefined || page === undefined) return json(422, { message: "Validation Failed" }, extra)
    const size = Math.min(perPage, 100)
    const lastPage = Math.max(1, Math.ceil(all.length / size))
    const link = linkHeader(req.url, page, lastPage)
    const headers = link === undefined ? extra : { ...extra, link }
    return json(200, all.slice((page - 1) * size, page * size), headers)
  }

  const github = (req: Req, rest: string): Reply => {
    githubUsed++
    const rate = {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(Math.max(0, 5000 - githubUsed)),
      "x-ratelimit-used": String(githubUsed),
      "x-ratelimit-reset": String(rateLimitReset)
    }
    if (bearerOf(req.headers) !== githubToken) return json(401, { message: "Bad credentials" }, rate)
    if (rest === "/user/repos") {
      if (req.method !== "GET") return methodNotAllowed("GET")
      return githubPage(req, repos, rate)
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?\/?$/.exec(rest)
    if (m === null) return json(404, { message: "Not Found" }, rate)
    if (req.method !== "GET") return methodNotAllowed("GET")
    const owner = decodeURIComponent(m[1])
    const name = decodeURIComponent(m[2])
    const repo = repos.find((r) => r.owner.login === owner && r.name === name)
    if (repo === undefined) return json(404, { message: "Not Found" }, rate)
    if (m[3] === undefined) return json(200, repo, rate)
    if (missingIssues.has(repo.name)) return json(404, { message: "Not Found" }, rate)
    const state = req.url.searchParams.get("state") ?? "open"
    const sort = req.url.searchParams.get("sort") ?? "created"
    const direction = req.url.searchParams.get("direction") ?? "desc"
    const sinceRaw = req.url.searchParams.get("since")
    const since = sinceRaw === null ? undefined : Date.parse(sinceRaw)
    if (
      !["open", "closed", "all"].includes(state) || !["created", "updated"].includes(sort) ||
      !["asc", "desc"].includes(direction) || (since !== undefined && Number.isNaN(since))
    ) return json(422, { message: "Validation Failed" }, rate)
    const key = (i: GithubIssue) => Date.parse(sort === "updated" ? i.updated_at : i.created_at)
    const selected = (issuesByRepo.get(repo.name) ?? [])
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => since === undefined || Date.parse(i.updated_at) >= since)
      .sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === "asc" ? 1 : -1))
    return githubPage(req, selected, rate)
  }

  // ---- PokeAPI ----
  const pokeapi = (req: Req, rest: string): Reply => {
    if (req.method !== "GET") return methodNotAllowed("GET")
    if (rest === "/pokemon" || rest === "/pokemon/") {
      const limit = nonNegativeInt(req.url, "limit", 20)
      const offset = nonNegativeInt(req.url, "offset", 0)
      if (limit === undefined || offset === undefined) return json(400, { detail: "invalid limit or offset" })
      const page = (o: number) => `${origin}/pokeapi/pokemon?offset=${o}&limit=${limit}`
      const results: Array<{ name: string; url: string }> = []
      for (let id = offset + 1; id <= Math.min(offset + limit, pokemonCount); id++) {
        results.push({ name: pokemonAt(id).name, url: `${origin}/pokeapi/pokemon/${id}/` })
      }
      return json(200, {
        count: pokemonCount,
        next: limit > 0 && offset + limit < pokemonCount ? page(offset + limit) : null,
        previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
        results
      })
    }
    const m = /^\/pokemon\/([^/]+)\/?$/.exec(rest)
    if (m !== null) {
      const key = decodeURIComponent(m[1]).toLowerCase()
      for (let id = 1; id <= pokemonCount; id++) {
        const p = pokemonAt(id)
        if (p.name === key || String(id) === key) return json(200, p)
      }
    }
    return { status: 404, body: undefined, text: "Not Found" }
  }

  // ---- Stripe ----
  const stripe = (req: Req, rest: string): Reply => {
    if (options.stripeSecretKey !== undefined) {
      const auth = req.headers["authorization"] ?? ""
      const basic = /^basic\s+(.+)$/i.exec(auth)
      const basicUser = basic === null ? undefined : Buffer.from(basic[1], "base64").toString("utf8").split(":")[0]
      if (bearerOf(req.headers) !== options.stripeSecretKey && basicUser !== options.stripeSecretKey) {
        return json(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } })
      }
    }
    if (rest !== "/v1/customers") return json(404, { error: { type: "invalid_request_error", message: "Unrecognized request URL" } })
    if (req.method !== "GET") return methodNotAllowed("GET")
    const limit = positiveInt(req.url, "limit", 10)
    if (limit === undefined || limit > 100) {
      return json(400, { error: { type: "invalid_request_error", message: "Invalid integer: limit" } })
    }
    const after = req.url.searchParams.get("starting_after")
    let start = 0
    if (after !== null && after !== "") {
      const m = /^cus_(\d{6})$/.exec(after)
      const i = m === null ? 0 : Number(m[1])
      if (i < 1 || i > customerCount) {
        return json(400, { error: { type: "invalid_request_error", message: `No such customer: '${after}'` } })
      }
      start = i
    }
    const data: Array<StripeCustomer> = []
    for (let i = start + 1; i <= Math.min(start + limit, customerCount); i++) data.push(customerAt(i))
    return json(200, { object: "list", url: "/v1/customers", has_more: start + limit < customerCount, data })
  }

  // ---- header cursor ----
  const encodeCursor = (offset: number) => Buffer.from(`evt:${offset}`).toString("base64url")
  const decodeCursor = (c: string): number | undefined => {
    const m = /^evt:(\d+)$/.exec(Buffer.from(c, "base64url").toString("utf8"))
    return m === null ? undefined : Number(m[1])
  }
  const headercursor = (req: Req, rest: string): Reply => {
    if (rest !== "/events") return json(404, { message: "Not Found" })
    if (req.method !== "GET") return methodNotAllowed("GET")
    const limit = positiveInt(req.url, "limit", eventsPageSize)
    if (limit === undefined) return json(400, { error: "invalid limit" })
    const cursor = req.url.searchParams.get("cursor")
    const offset = cursor === null || cursor === "" ? 0 : decodeCursor(cursor)
    if (offset === undefined) return json(400, { error: "invalid cursor" })
    const page: Array<HeaderEvent> = []
    for (let i = offset + 1; i <= Math.min(offset + limit, eventCount); i++) page.push(headerEventAt(i))
    const headers: Record<string, string> = offset + limit < eventCount ? { "x-next-cursor": encodeCursor(offset + limit) } : {}
    return json(200, page, headers)
  }

  // ---- POST search ----
  const search = (req: Req, rest: string): Reply => {
    if (rest !== "/items") return json(404, { message: "Not Found" })
    if (req.method !== "POST") return methodNotAllowed("POST")
    if (!req.contentType.includes("json")) return json(415, { error: "expected Content-Type: application/json" })
    if (req.body === undefined) return json(400, { error: "invalid JSON body" })
    if (!isObject(req.body)) return json(400, { error: "body must be a JSON object" })
    const query = req.body["query"] ?? {}
    const page = req.body["page"] ?? {}
    if (!isObject(query)) return json(400, { error: "query must be an object" })
    if (!isObject(page)) return json(400, { error: "page must be an object" })
    const number = page["number"] ?? 1
    const size = page["size"] ?? 10
    if (typeof number !== "number" || !Number.isInteger(number) || number < 1) {
      return json(400, { error: "page.number must be a positive integer" })
    }
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 100) {
      return json(400, { error: "page.size must be an integer in 1..100" })
    }
    const category = query["category"]
    const text = query["text"]
    if (category !== undefined && typeof category !== "string") return json(400, { error: "query.category must be a string" })
    if (text !== undefined && typeof text !== "string") return json(400, { error: "query.text must be a string" })
    const matching: Array<SearchItem> = []
    range(searchCount, (i) => {
      const item = searchItemAt(i)
      if (category !== undefined && item.category !== category) return
      if (text !== undefined && !item.name.toLowerCase().includes(text.toLowerCase())) return
      matching.push(item)
    })
    return json(200, {
      items: matching.slice((number - 1) * size, number * size),
      total_pages: Math.ceil(matching.length / size),
      page: number
    })
  }

  // ---- OAuth2 ----
  const oauth = (req: Req, rest: string): Reply => {
    if (rest === "/token") {
      if (req.method !== "POST") return methodNotAllowed("POST")
      tokenRequests++
      if (!req.contentType.includes("application/x-www-form-urlencoded")) return json(400, { error: "invalid_request" })
      const form = new URLSearchParams(req.rawBody)
      let clientId = form.get("client_id")
      let clientSecret = form.get("client_secret")
      const basic = /^basic\s+(.+)$/i.exec(req.headers["authorization"] ?? "")
      if (basic !== null) {
        const decoded = Buffer.from(basic[1], "base64").toString("utf8")
        const colon = decoded.indexOf(":")
        clientId = decodeURIComponent(decoded.slice(0, colon))
        clientSecret = decodeURIComponent(decoded.slice(colon + 1))
      }
      if (form.get("grant_type") !== "client_credentials") return json(400, { error: "unsupported_grant_type" })
      if (clientId !== oauthClientId || clientSecret !== oauthClientSecret) return json(401, { error: "invalid_client" })
      tokensIssued++
      tokenSerial++
      const token = `at_${String(tokenSerial).padStart(6, "0")}`
      tokens.set(token, Date.now() + oauthLifetime * 1000)
      return json(200, { access_token: token, token_type: "bearer", expires_in: oauthExpiresIn }, { "cache-control": "no-store" })
    }
    if (rest === "/api/things") {
      if (req.method !== "GET") return methodNotAllowed("GET")
      const token = bearerOf(req.headers)
      const expiry = token === undefined ? undefined : tokens.get(token)
      if (expiry === undefined || Date.now() >= expiry) {
        return json(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' })
      }
      const page = positiveInt(req.url, "page", 1)
      if (page === undefined) return json(400, { error: "invalid page" })
      const data: Array<Thing> = []
      for (let i = (page - 1) * thingsPageSize + 1; i <= Math.min(page * thingsPageSize, thingCount); i++) data.push(thingAt(i))
      return json(200, { data, next_page: page * thingsPageSize < thingCount ? page + 1 : null })
    }
    return json(404, { message: "Not Found" })
  }

  // ---- incremental ----
  const inc = (req: Req, rest: string): Reply => {
    if (rest !== "/orders" && rest !== "/orders_noparam") return json(404, { message: "Not Found" })
    if (req.method !== "GET") return methodNotAllowed("GET")
    const page = positiveInt(req.url, "page", 1)
    const perPage = positiveInt(req.url, "per_page", ordersPageSize)
    if (page === undefined || perPage === undefined) return json(400, { error: "invalid page or per_page" })
    let selected: ReadonlyArray<Order> = orders
    if (rest === "/orders") {
      const raw = req.url.searchParams.get("updated_since")
      if (raw !== null && raw !== "") {
        const since = Date.parse(raw)
        if (Number.isNaN(since)) return json(400, { error: "invalid updated_since" })
        selected = orders.filter((o) => Date.parse(o.updated_at) >= since)
      }
    }
    return json(200, {
      orders: selected.slice((page - 1) * perPage, page * perPage),
      page,
      total_pages: Math.ceil(selected.length / perPage)
    })
  }

  // ---- flaky ----
  const flaky = (req: Req, rest: string): Reply => {
    if (rest !== "/items") return json(404, { message: "Not Found" })
    if (req.method !== "GET") return methodNotAllowed("GET")
    if (flakyRemaining > 0) {
      flakyRemaining--
      flakyErrors++
      return json(200, { error: "temporarily unavailable" })
    }
    const data: Array<FlakyItem> = []
    range(flakyItems, (i) => data.push(flakyItemAt(i)))
    return json(200, { data })
  }

  const methodNotAllowed = (allow: string): Reply => json(405, { message: "Method Not Allowed" }, { allow })

  const styles: ReadonlyArray<readonly [string, (req: Req, rest: string) => Reply]> = [
    ["/github", github],
    ["/pokeapi", pokeapi],
    ["/stripe", stripe],
    ["/headercursor", headercursor],
    ["/search", search],
    ["/oauth", oauth],
    ["/inc", inc],
    ["/flaky", flaky]
  ]

  const route = (req: Req): Reply => {
    const fault = injected.get(req.url.pathname)
    if (fault !== undefined && fault.remaining > 0) {
      fault.remaining--
      if (fault.remaining === 0) injected.delete(req.url.pathname)
      return json(fault.status, fault.body, fault.headers)
    }
    for (const [prefix, handler] of styles) {
      const path = req.url.pathname
      if (path === prefix || path.startsWith(`${prefix}/`)) return handler(req, path.slice(prefix.length))
    }
    return json(404, { message: "Not Found" })
  }

  const server = Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8")
      const headers = lowerHeaders(request)
      const contentType = (headers["content-type"] ?? "").toLowerCase()
      let body: unknown = undefined
      if (contentType.includes("json") && rawBody !== "") {
        try {
          body = JSON.parse(rawBody)
        } catch {
          body = undefined
        }
      } else if (contentType.includes("application/x-www-form-urlencoded")) {
        body = Object.fromEntries(new URLSearchParams(rawBody))
      }
      const method = (request.method ?? "GET").toUpperCase()
      const url = new URL(request.url ?? "/", origin)
      total++
      byPath[url.pathname] = (byPath[url.pathname] ?? 0) + 1
      byMethod[method] = (byMethod[method] ?? 0) + 1
      seq++
      let reply: Reply
      try {
        reply = route({ method, url, headers, body, rawBody, contentType })
      } catch (e) {
        reply = json(500, { message: e instanceof Error ? e.message : String(e) })
      }
      log.push({
        seq,
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        search: url.search,
        headers,
        body,
        rawBody,
        status: reply.status
      })
      if (reply.text !== undefined) {
        response.writeHead(reply.status, { ...reply.headers, "content-type": "text/plain; charset=utf-8" })
        response.end(reply.text)
      } else {
        response.writeHead(reply.status, { ...reply.headers, "content-type": "application/json; charset=utf-8" })
        response.end(reply.body === undefined ? "" : JSON.stringify(reply.body))
      }
    })
  })

  const latest = (dates: ReadonlyArray<string>): number => dates.reduce((m, d) => Math.max(m, Date.parse(d)), 0)

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      origin = `http://127.0.0.1:${portOf(server.address())}`
      const repoIssues = (repo: string): Array<GithubIssue> => {
        const list = issuesByRepo.get(repo)
        if (list === undefined) throw new Error(`unknown repo: ${repo}`)
        return list
      }
      resolve({
        baseUrl: origin,
        bases: {
          github: `${origin}/github/`,
          pokeapi: `${origin}/pokeapi/`,
          stripe: `${origin}/stripe/v1/`,
          headercursor: `${origin}/headercursor/`,
          search: `${origin}/search/`,
          oauth: `${origin}/oauth/`,
          inc: `${origin}/inc/`,
          flaky: `${origin}/flaky/`
        },
        tokenUrl: `${origin}/oauth/token`,
        githubToken,
        oauthClientId,
        oauthClientSecret,
        stats: () => ({
          total,
          byPath: { ...byPath },
          byMethod: { ...byMethod },
          tokenRequests,
          tokensIssued,
          flakyErrors
        }),
        log: () => [...log],
        resetLog: () => {
          log = []
          total = 0
          byPath = {}
          byMethod = {}
          tokenRequests = 0
          tokensIssued = 0
          flakyErrors = 0
        },
        resetData,
        repos: () => [...repos],
        issues: (repo) => [...repoIssues(repo)],
        touchIssues: (repo, numbers, at, toggleState = false) => {
          const list = repoIssues(repo)
          const updated_at = isoFrom(at)
          for (const n of numbers) {
            const idx = list.findIndex((i) => i.number === n)
            if (idx < 0) throw new Error(`unknown issue ${repo}#${n}`)
            const old = list[idx]
            const state = toggleState ? (old.state === "open" ? "closed" : "open") : old.state
            list[idx] = { ...old, state, updated_at }
          }
        },
        addIssues: (repo, n, at) => {
          const list = repoIssues(repo)
          const k = repos.findIndex((r) => r.name === repo) + 1
          const added: Array<GithubIssue> = []
          let last = latest(list.map((i) => i.updated_at))
          range(n, () => {
            const number = list.reduce((m, i) => Math.max(m, i.number), 0) + 1
            last = at === undefined ? last + HOUR : Date.parse(isoFrom(at))
            const issue = { ...githubIssueAt(k, number), updated_at: isoOf(last) }
            list.push(issue)
            added.push(issue)
          })
          return added
        },
        githubRateLimitUsed: () => githubUsed,
        addPokemon: (n) => {
          pokemonCount += n
        },
        addCustomers: (n) => {
          customerCount += n
        },
        addEvents: (n) => {
          eventCount += n
        },
        addSearchItems: (n) => {
          searchCount += n
        },
        addThings: (n) => {
          thingCount += n
        },
        expireTokens: () => {
          tokens = new Map()
        },
        setFlakyFailures: (n) => {
          flakyRemaining = n
        },
        orders: () => [...orders],
        touchOrders: (ids, at) => {
          const updated_at = isoFrom(at)
          for (const id of ids) {
            const idx = orders.findIndex((o) => o.id === id)
            if (idx < 0) throw new Error(`unknown order ${id}`)
            orders[idx] = { ...orders[idx], status: nextStatus(orders[idx].status), updated_at }
          }
        },
        addOrders: (n, at) => {
          const added: Array<Order> = []
          let last = latest(orders.map((o) => o.updated_at))
          range(n, () => {
            const id = orders.reduce((m, o) => Math.max(m, o.id), 0) + 1
            last = at === undefined ? last + HOUR : Date.parse(isoFrom(at))
            const order: Order = { ...orderAt(id), status: "pending", updated_at: isoOf(last) }
            orders.push(order)
            added.push(order)
          })
          return added
        },
        failNext: (path, status, times = 1, body = { message: "injected failure" }, headers = {}) => {
          injected.set(path, { status, body, headers, remaining: times })
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })
}

/** `startParityApi` as a scoped resource (closed when the scope closes). */
export const ParityApiScoped = (options?: ParityApiOptions): Effect.Effect<ParityApi, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => startParityApi(options)),
    (api) => Effect.promise(() => api.close())
  )
