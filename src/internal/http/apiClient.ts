/**
 * ApiClient: one request for one page, as JSON. Per source (a resolved config), an HttpClient
 * is composed once from middleware over the transport in context: exchange limits (timeout,
 * body size), credentials (the client's or an endpoint's auth, only for trusted origins),
 * redirects, rate limit, status classification (response actions included) and retry. So any HttpClient (ours over undici, the platform's,
 * fetch, a scripted fake) gets exactly the same behaviour.
 *
 * The `ApiClient` service builds one client per source and keeps it for as long as the layer
 * lives: the composition root provides `layer` once, and every resource of a source, whether
 * its records are streamed or loaded, shares one OAuth token and one request budget.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Context, Deferred, Effect, Either, Fiber, FiberId, FiberRef, Layer, LogLevel, Redacted, Scope } from "effect"
import type { Secret } from "../config/secrets.js"
import type { ResourceSpec, SourceSpec } from "../config/spec.js"
import type { FormBody } from "../paginate/paginator.js"
import { ApiError, type ApiErrorReason } from "./apiError.js"
import * as Auth from "./auth.js"
import { withoutTrailingSlashes } from "../trailingSlashes.js"
import { BufferedResponse } from "./bufferedResponse.js"
import { classify, type Classified, transportDetail } from "./classify.js"
import { withLimits } from "./exchangeLimits.js"
import * as CredentialScope from "./credentialScope.js"
import { withCredentials } from "./credentialScope.js"
import { withConcurrencyLimit, withRateLimit, withRetry } from "./middleware.js"
import * as RateLimit from "./rateLimit.js"
import * as AdaptiveConcurrency from "./adaptiveConcurrency.js"
import * as Redact from "./redact.js"
import { followRedirects } from "./redirects.js"
import { withRequestLog } from "./requestLog.js"
import { instrumentAttempts, observePage } from "./telemetry.js"

export { ApiError, type ApiErrorReason } from "./apiError.js"
export { matchAction } from "./classify.js"

export interface PageResponse {
  /** Absolute URL requested (not redacted: paginators resolve relative links against it). */
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  /** A response action said "ignore": the page has no records and paging ends (dlt's rule). */
  readonly ignored: boolean
  /** Attempts this page took (1 = no retry). */
  readonly attempts: number
}

export interface RequestOptions {
  readonly resource: string
  readonly page: number
  readonly method: "GET" | "POST"
  readonly url: string
  readonly params: Readonly<Record<string, string>>
  /** Endpoint headers, rendered (they win over the client's defaults). */
  readonly headers: Readonly<Record<string, string>>
  readonly json?: unknown
  /** A form body (exclusive with `json`). */
  readonly form?: FormBody | undefined
}

/** The requests of one source. */
export interface SourceClient {
  readonly request: (options: RequestOptions) => Effect.Effect<PageResponse, ApiError>
  /**
   * Sends the request now (in a fiber of its own) and gives back the Effect that awaits its
   * page, its body parsed only then (absent in fakes: `request` is used when it is wanted).
   */
  readonly requestAhead?: ((options: RequestOptions) => Effect.Effect<Effect.Effect<PageResponse, ApiError>>) | undefined
  /**
   * The API's adaptive concurrency limit (absent in fakes): a run opens a window on it to
   * report the most requests in flight and the throttles met.
   */
  readonly concurrency?: {
    /** The API's host (`client.base_url`'s). */
    readonly host: string
    readonly open: () => AdaptiveConcurrency.ConcurrencyWindow
  } | undefined
}

/** Gives each source its client, made once and kept while the service lives. */
export class ApiClient extends Context.Tag("effect-rest-connector/ApiClient")<ApiClient, {
  readonly forSource: (source: SourceSpec<Secret>) => Effect.Effect<SourceClient>
}>() {}

/**
 * Clients kept for one run and closed with it (`clientsPerRun`), instead of for the layer's
 * life: a cluster runner syncs a freshly loaded source thousands of times, and the layer's
 * cache would keep every one's client (its limiters, its authenticators) until it stops.
 */
export class RunClients extends Context.Reference<RunClients>()("effect-rest-connector/RunClients", {
  defaultValue: (): { readonly scope: Scope.Scope; readonly clients: Map<SourceSpec<Secret>, Deferred.Deferred<SourceClient>> } | undefined =>
    undefined
}) {}

/** Runs `self` with its own clients, closed when it ends. */
export const clientsPerRun = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Scope.make(),
    (scope) => Effect.provideService(self, RunClients, { scope, clients: new Map() }),
    (scope, exit) => Scope.close(scope, exit)
  )

/** The ApiClient service over the `HttpClient` in context. */
export const layer: Layer.Layer<ApiClient, never, HttpClient.HttpClient> = Layer.scoped(
  ApiClient,
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const scope = yield* Effect.scope
    const makeIn = (source: SourceSpec<Secret>, into: Scope.Scope) =>
      make(source).pipe(Effect.provideService(HttpClient.HttpClient, http), Scope.extend(into))
    const cached = yield* Effect.cachedFunction((source: SourceSpec<Secret>) => makeIn(source, scope))
    const forSource = (source: SourceSpec<Secret>) =>
      Effect.flatMap(RunClients, (run) => {
        if (run === undefined) return cached(source)
        // One client per source in the run, however many fibers ask for it at once.
        const known = run.clients.get(source)
        if (known !== undefined) return Deferred.await(known)
        const made = Deferred.unsafeMake<SourceClient>(FiberId.none)
        run.clients.set(source, made)
        return Effect.zipRight(Effect.intoDeferred(makeIn(source, run.scope), made), Deferred.await(made))
      })
    return { forSource }
  })
)

/** dlt joins base and path as `base.rstrip('/') + '/' + path.lstrip('/')`; absolute URLs stand alone. */
export const joinUrl = (baseUrl: string, path: string): string => {
  if (/^https?:\/\//i.test(path)) return path
  if (path === "") return baseUrl
  return `${withoutTrailingSlashes(baseUrl)}/${path.replace(/^\/+/, "")}`
}

const requestUrl = (request: HttpClientRequest.HttpClientRequest): string => {
  const url = new URL(request.url)
  for (const [k, v] of request.urlParams) url.searchParams.append(k, v)
  return url.toString()
}

const parseJson = (text: string): Either.Either<unknown, string> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (e) {
    return Either.left(e instanceof Error ? e.message : String(e))
  }
}

/** What each classified failure is called in an ApiError. */
const reasonOf = (error: Classified): ApiErrorReason => {
  switch (error._tag) {
    case "Transient":
      return error.reason === "Status" || error.reason === "ResponseAction" ? "RetriesExhausted" : error.reason
    case "ResponseRejected":
      return error.reason
    case "ResponseIgnored":
      return "Status"
  }
}

/** A request as described in messages: with what auth puts on the wire (an api_key in the query). */
type Describe = (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest

/** The host requests go to, as the summary names it. */
const hostOf = (baseUrl: string): string => (URL.canParse(baseUrl) ? new URL(baseUrl).host : baseUrl)

/** The client of one source: an HttpClient per resource (auth and response actions differ). */
export const make = (source: SourceSpec<Secret>): Effect.Effect<SourceClient, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const config = source.client
    const redactor = Redact.forSource(source)
    // Client spans are the transport's business: ours makes none; with the platform's client
    // and a tracer, each page request is a span (`HttpClient.withTracerDisabledWhen` on the
    // HttpClient layer turns them off).
    const transport = (yield* HttpClient.HttpClient).pipe(
      withLimits({ timeout: config.timeout, maxBodyBytes: config.maxResponseBytes })
    )
    const limiter = yield* RateLimit.make(config.rateLimit, hostOf(config.baseUrl))
    // One adaptive limit for the whole source: every resource's requests go to the same API.
    // A run reports what it reached (Pipeline.run's LoadInfo.http, the summary).
    const concurrency = AdaptiveConcurrency.make(config.maxConcurrency)
    // One authenticator for the client and one per endpoint override, made once, so an
    // OAuth2 token is fetched once and shared by every resource that uses it.
    const clientAuth = config.auth === undefined ? undefined : yield* Auth.makeAuthenticator(config.auth, redactor.learn)
    const baseOrigin = CredentialScope.originOf(config.baseUrl)
    const scope = CredentialScope.make(baseOrigin === undefined ? config.trustedOrigins : [baseOrigin, ...config.trustedOrigins])
    const isSecret = (value: string) => redactor.text(value) !== value
    // One warning per origin for the whole source, naming the resource that met it first.
    const warned = new Set<string>()
    const withheldFor = (resource: string) => (origin: string) =>
      Effect.suspend(() => {
        if (warned.has(origin)) return Effect.void
        warned.add(origin)
        return Effect.logWarning(
          `resource '${resource}': requests to ${origin} are sent without credentials (auth, Authorization and Cookie headers, ` +
            `secret headers and params): it is not the origin of client.base_url; list it in client.trusted_origins if it should get them`
        )
      })
    const trusted = (url: URL) => scope.trusts(url.href)
    const clientHeaders = Object.entries(config.headers).map(([k, v]) =>
      [k, v._tag === "Secret" ? Redacted.value(v.secret) : v._tag === "Plain" ? v.value : v.template.source] as const
    )
    // Per-request lines (--verbose) only when debug logging is on when the client is made.
    const logRequests = LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
    const compose = (resource: ResourceSpec<Secret>, authenticator: Auth.Authenticator | undefined, describe: Describe, traced: boolean) => {
      // Credentials are put on (or kept off) each hop of a redirect, for its own origin.
      const hops = transport.pipe(
        withCredentials({ scope, authenticator, isSecret, withheld: withheldFor(resource.name) }),
        followRedirects({ maxRedirects: config.maxRedirects, trusted })
      )
      const url = (request: HttpClientRequest.HttpClientRequest) => redactor.url(requestUrl(describe(request)))
      const logged = logRequests ? hops.pipe(withRequestLog({ resource: resource.name, url })) : hops
      // Traced, each attempt is a span (rate-limit waits are the page's, not the attempt's).
      const signed = traced ? logged.pipe(instrumentAttempts(resource.name, url)) : logged
      const limited = (limiter === RateLimit.unlimited ? signed : signed.pipe(withRateLimit(limiter))).pipe(
        withConcurrencyLimit(concurrency)
      )
      return limited.pipe(
        classify({ retryStatus: config.retry.statusCodes, actions: resource.responseActions }),
        withRetry(config.retry, `resource '${resource.name}'`, {
          resource: resource.name,
          describe: (request) => `${request.method} ${url(request)}`,
          redact: redactor.text
        })
      )
    }
    const identity: Describe = (r) => r
    const perResource = new Map<
      string,
      {
        readonly http: ReturnType<typeof compose>
        /** The same with a span per attempt, for when telemetry is on (the plain one pays nothing for it). */
        readonly traced: ReturnType<typeof compose>
        readonly describe: Describe
        readonly template: string
      }
    >()
    for (const resource of source.resources) {
      const authenticator = resource.auth === null
        ? undefined
        : resource.auth === undefined
        ? clientAuth
        : yield* Auth.makeAuthenticator(resource.auth, redactor.learn)
      // URLs are described with what goes on the wire, an api_key in the query included.
      const auth = resource.auth === undefined ? config.auth : resource.auth
      const describe = auth === undefined || auth === null ? identity : Auth.describe(auth)
      perResource.set(resource.name, {
        http: compose(resource, authenticator, describe, false),
        traced: compose(resource, authenticator, describe, true),
        describe,
        template: resource.path.source
      })
    }

    /**
     * Sends one page's request; what it gives back parses the body when run. A page fetched
     * ahead (while the one before it is written) keeps its body as bytes until it is wanted:
     * parsed on arrival, its records would outlive a few young-generation collections and be
     * promoted (measured: GC time 2.5x, our CPU per bench run +20%).
     */
    const exchange = (options: RequestOptions): Effect.Effect<Effect.Effect<PageResponse, ApiError>, ApiError> => {
      const own = perResource.get(options.resource)
      if (own === undefined) return Effect.die(new Error(`ApiClient: '${options.resource}' is not a resource of this source`))
      let req = HttpClientRequest.make(options.method)(joinUrl(config.baseUrl, options.url)).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.setUrlParams(options.params)
      )
      for (const [k, v] of clientHeaders) req = HttpClientRequest.setHeader(req, k, v)
      for (const [k, v] of Object.entries(options.headers)) req = HttpClientRequest.setHeader(req, k, v)
      if (options.json !== undefined) req = HttpClientRequest.bodyUnsafeJson(req, options.json)
      // As requests sends `data`: fields form-encoded, none at all (`data: {}`) as no body and no
      // content type, a string as it is with only the content type the config's headers give.
      else if (options.form?._tag === "Fields" && options.form.fields.length > 0) req = HttpClientRequest.bodyUrlParams(req, options.form.fields)
      else if (options.form?._tag === "Raw") req = HttpClientRequest.setBody(req, HttpBody.raw(options.form.text))
      const fullUrl = requestUrl(own.describe(req))
      const fail = (reason: ApiErrorReason, detail: string, attempts: number, status?: number) =>
        new ApiError({
          reason,
          resource: options.resource,
          method: options.method,
          url: redactor.url(fullUrl),
          page: options.page,
          status,
          attempts,
          detail: redactor.text(detail)
        })
      const page = { resource: options.resource, page: options.page, method: options.method, urlTemplate: own.template, url: () => redactor.url(fullUrl) }
      // Telemetry on, the page goes through the client whose attempts are spans.
      return observePage(page, (traced) => (traced ? own.traced : own.http).execute(req).pipe(
        Effect.map((response) => {
          const attempts = response instanceof BufferedResponse ? response.attempts : 1
          const parse = Effect.suspend((): Effect.Effect<PageResponse, ApiError> => {
            const text = response instanceof BufferedResponse ? response.textSync() : undefined
            const body = parseJson(text ?? "")
            return Either.isLeft(body)
              ? Effect.fail(fail("MalformedJson", `the response is not valid JSON: ${body.left}`, attempts, response.status))
              : Effect.succeed({ url: fullUrl, status: response.status, headers: response.headers, body: body.right, ignored: false, attempts })
          })
          return { attempts, status: response.status, parse }
        }),
        Effect.catchAll((error): Effect.Effect<{ readonly attempts: number; readonly parse: Effect.Effect<PageResponse, ApiError> }, ApiError> => {
          switch (error._tag) {
            case "ResponseIgnored":
              return Effect.succeed({
                attempts: error.attempts,
                status: error.response.status,
                parse: Effect.succeed({
                  url: fullUrl,
                  status: error.response.status,
                  headers: error.response.headers,
                  body: undefined,
                  ignored: true,
                  attempts: error.attempts
                })
              })
            case "Transient":
              return Effect.fail(fail(reasonOf(error), error.reason === "Status" ? `gave up: ${error.detail}` : error.detail, error.attempts, error.status))
            case "ResponseRejected":
              return Effect.fail(fail(reasonOf(error), error.detail, error.attempts, error.status))
            case "AuthError":
              return Effect.fail(fail("Auth", error.message, 1))
            case "TooManyRedirects":
              return Effect.fail(fail("TooManyRedirects", error.describe(redactor.url), 1))
            default:
              return Effect.fail(fail("Transport", transportDetail(error), 1))
          }
        })
      )).pipe(Effect.map((exchanged) => exchanged.parse))
    }
    const request = (options: RequestOptions): Effect.Effect<PageResponse, ApiError> => Effect.flatten(exchange(options))
    const requestAhead = (options: RequestOptions): Effect.Effect<Effect.Effect<PageResponse, ApiError>> =>
      Effect.map(Effect.fork(exchange(options)), (fiber) => Effect.flatten(Fiber.join(fiber)))

    return { request, requestAhead, concurrency: { host: hostOf(config.baseUrl), open: concurrency.open } }
  })
