/**
 * The dlt-parity API: one loopback HTTP server (node:http, 127.0.0.1, port 0) emulating the API
 * styles our dlt-parity end-to-end tests configure the way a dlt user would. Each style lives
 * under its own path prefix. All data is generated deterministically from the options, can be
 * mutated between runs (helpers below), and every request is counted and logged.
 *
 * Styles (each module states the exact contract of its endpoints):
 * 1. `/github`       GitHub-like: bearer auth, `Link` header paging, `since` filter, a 404 repo,
 *                    `X-RateLimit-*` headers (parityGithub).
 * 2. `/pokeapi`      PokeAPI-like: `{count, next, previous, results}` with absolute `next` URLs,
 *                    and a detail endpoint per pokemon (parent/child) (parityPokeapi).
 * 3. `/stripe/v1`    Stripe-like: `{object: "list", data, has_more}` + `starting_after=<id>` (parityStripe).
 * 4. `/headercursor` a JSON array per page, the next cursor in the `X-Next-Cursor` header (parityHeaderCursor).
 * 5. `/search`       POST search, page number and size in the JSON body, `{items, total_pages}` (paritySearch).
 * 6. `/oauth`        OAuth2 client-credentials token endpoint + a bearer-protected API (parityOauth).
 * 7. `/inc`          incremental: server-side `updated_since` filter, and a twin that ignores it (parityOrders).
 * 8. `/flaky`        a `200` carrying `{"error": "temporarily unavailable"}` the first N times (parityFlaky).
 *
 * All bodies are JSON unless noted; all list pages 1-based unless noted; an unknown path →
 * `404 {"message":"Not Found"}`; a wrong method → `405` + `Allow`. The request plumbing, routing
 * and log are in parityServer.
 */
import { Effect } from "effect"
import type * as Scope from "effect/Scope"
import { FlakyStyle, type FlakyOptions } from "./parityFlaky.js"
import { type GithubIssue, type GithubOptions, type GithubRepo, GithubStyle } from "./parityGithub.js"
import { HeaderCursorStyle, type HeaderCursorOptions } from "./parityHeaderCursor.js"
import { OauthStyle, type OauthOptions } from "./parityOauth.js"
import { type Order, OrdersStyle, type OrdersOptions } from "./parityOrders.js"
import { PokeapiStyle, type PokeapiOptions } from "./parityPokeapi.js"
import { SearchStyle, type SearchOptions } from "./paritySearch.js"
import { createParityServer, type LoggedRequest, ParityRouter, portOf, RequestLog } from "./parityServer.js"
import { StripeStyle, type StripeOptions } from "./parityStripe.js"

export { isoOf } from "./parityDates.js"
export { type FlakyItem, flakyItemAt } from "./parityFlaky.js"
export {
  type GithubIssue,
  githubIssueAt,
  type GithubRepo,
  githubRepoAt,
  PARITY_GITHUB_OWNER,
  PARITY_GITHUB_TOKEN
} from "./parityGithub.js"
export { type HeaderEvent, headerEventAt } from "./parityHeaderCursor.js"
export { PARITY_OAUTH_CLIENT_ID, PARITY_OAUTH_CLIENT_SECRET, type Thing, thingAt } from "./parityOauth.js"
export { type Order, orderAt, type OrderStatus } from "./parityOrders.js"
export { type Pokemon, pokemonAt } from "./parityPokeapi.js"
export { type SearchItem, searchItemAt } from "./paritySearch.js"
export type { LoggedRequest } from "./parityServer.js"
export { customerAt, type StripeCustomer, customerIdOf } from "./parityStripe.js"

export interface ParityApiOptions
  extends
    GithubOptions,
    PokeapiOptions,
    StripeOptions,
    HeaderCursorOptions,
    SearchOptions,
    OauthOptions,
    OrdersOptions,
    FlakyOptions
{}

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

/** Starts the parity API on 127.0.0.1 and an ephemeral port; resolves once it listens. */
export const startParityApi = (options: ParityApiOptions = {}): Promise<ParityApi> => {
  const github = new GithubStyle(options)
  const pokeapi = new PokeapiStyle(options)
  const stripe = new StripeStyle(options)
  const headercursor = new HeaderCursorStyle(options)
  const search = new SearchStyle(options)
  const oauth = new OauthStyle(options)
  const orders = new OrdersStyle(options)
  const flaky = new FlakyStyle(options)
  const styles = [github, pokeapi, stripe, headercursor, search, oauth, orders, flaky]
  const router = new ParityRouter(styles)
  const log = new RequestLog()

  let origin = ""
  const server = createParityServer(router, log, () => origin)

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      origin = `http://127.0.0.1:${portOf(server.address())}`
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
        githubToken: github.token,
        oauthClientId: oauth.clientId,
        oauthClientSecret: oauth.clientSecret,
        stats: () => ({
          total: log.total,
          byPath: { ...log.byPath },
          byMethod: { ...log.byMethod },
          tokenRequests: oauth.tokenRequests,
          tokensIssued: oauth.tokensIssued,
          flakyErrors: flaky.errors
        }),
        log: () => [...log.entries],
        resetLog: () => {
          log.reset()
          oauth.resetCounters()
          flaky.resetCounters()
        },
        resetData: () => {
          for (const style of styles) style.reset()
          router.clearFailures()
        },
        repos: github.repoList,
        issues: github.issues,
        touchIssues: github.touchIssues,
        addIssues: github.addIssues,
        githubRateLimitUsed: () => github.rateLimitUsed,
        addPokemon: pokeapi.add,
        addCustomers: stripe.add,
        addEvents: headercursor.add,
        addSearchItems: search.add,
        addThings: oauth.addThings,
        expireTokens: oauth.expireTokens,
        setFlakyFailures: flaky.setFailures,
        orders: orders.list,
        touchOrders: orders.touch,
        addOrders: orders.add,
        failNext: (path, status, times = 1, body = { message: "injected failure" }, headers = {}) =>
          router.failNext(path, status, times, body, headers),
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
