/**
 * ApiClient: one request for one page, as JSON, with the client's base URL, default headers,
 * auth (the client's or an endpoint's own), timeout, rate limit, response actions and retry
 * policy applied. Built over the `HttpClient` Tag of @effect/platform, so the transport
 * (undici, fetch, a scripted fake) is chosen by whoever provides it. One ApiClient serves
 * every resource of a run: they share its OAuth token and its request budget.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Context, Data, Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import type { Scope } from "effect/Scope"
import { ConnectorConfig } from "../config/connectorConfig.js"
import type { SourceSpec, ResponseAction, ResponseActionKind, ResponseInfo } from "../config/spec.js"
import type { FormBody } from "../paginate/paginator.js"
import { type Secret, secretValues } from "../config/secrets.js"
import * as Auth from "./auth.js"
import * as RateLimit from "./rateLimit.js"
import * as Redact from "./redact.js"
import type { Redactor } from "./redact.js"
import * as Retry from "./retry.js"
import * as UndiciHttpClient from "./undiciHttpClient.js"

export type ApiErrorReason = "Status" | "RetriesExhausted" | "Transport" | "Timeout" | "MalformedJson" | "ResponseAction" | "Auth"

/** A failed page request. `url` is always redacted. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly reason: ApiErrorReason
  readonly resource: string
  readonly method: string
  readonly url: string
  readonly page: number
  readonly status?: number | undefined
  readonly attempts: number
  readonly detail: string
}> {
  override get message(): string {
    const status = this.status === undefined ? "" : ` HTTP ${this.status}`
    const tries = this.attempts > 1 ? ` after ${this.attempts} attempts` : ""
    return `resource '${this.resource}', page ${this.page + 1}: ${this.method} ${this.url} failed${tries}:${status} ${this.detail}`
      .trimEnd()
  }
}

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
  readonly actions?: ReadonlyArray<ResponseAction> | undefined
}

export interface ApiClientService {
  readonly request: (options: RequestOptions) => Effect.Effect<PageResponse, ApiError>
}

/** The API of a config's `client`: base URL, default headers, auth, timeout and retry policy. */
export class ApiClient extends Context.Tag("effect-rest-connector/ApiClient")<ApiClient, ApiClientService>() {
  /** Built from the decoded config over whatever `HttpClient` is provided. */
  static readonly layer: Layer.Layer<ApiClient, never, ConnectorConfig | HttpClient.HttpClient> = Layer.scoped(
    ApiClient,
    Effect.flatMap(ConnectorConfig, (config) => make(config, Redact.make(secretValues(config))))
  )
}

/** dlt joins base and path as `base.rstrip('/') + '/' + path.lstrip('/')`; absolute URLs stand alone. */
export const joinUrl = (baseUrl: string, path: string): string => {
  if (/^https?:\/\//i.test(path)) return path
  if (path === "") return baseUrl
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`
}

/** A failure worth another attempt. */
class Transient extends Data.TaggedError("Transient")<{
  readonly status: number | undefined
  readonly detail: string
  readonly reason: "Status" | "Transport" | "Timeout" | "ResponseAction"
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

const snippet = (text: string): string => {
  const oneLine = text.replace(/\s+/g, " ").trim()
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine
}

/** The first response action that matches, in order (dlt: status and/or body substring). */
export const matchAction = (actions: ReadonlyArray<ResponseAction>, response: ResponseInfo): ResponseActionKind | undefined => {
  for (const action of actions) {
    if (action._tag === "Function") {
      const kind = action.f(response)
      if (kind !== undefined) return kind
      continue
    }
    const statusOk = action.statusCode === undefined || action.statusCode === response.status
    const contentOk = action.content === undefined || response.text.includes(action.content)
    if (statusOk && contentOk) return action.action
  }
  return undefined
}

const noAuth: Auth.Authenticator = { authenticate: Effect.succeed }

export const make = (
  source: SourceSpec<Secret>,
  redactor: Redactor
): Effect.Effect<ApiClientService, never, HttpClient.HttpClient | Scope> =>
  Effect.gen(function*() {
    const config = source.client
    const provided = yield* HttpClient.HttpClient
    // Our undici client enforces the timeout in the request's own promise; any other client
    // gets `Effect.timeoutFail`, which forks two fibers per request (see UndiciHttpClient).
    const withDeadline = UndiciHttpClient.withDeadline(provided, config.timeout)
    // No span per page: a sync makes thousands of requests, and the tracing bookkeeping showed
    // up in profiles. Spans stay on the pipeline level. (With no span there is no traceparent
    // header either, so `withTracerPropagation(false)`, one more FiberRef change per request,
    // is not needed; our undici client makes no spans at all.)
    const http = Option.isSome(withDeadline)
      ? withDeadline.value
      : provided.pipe(HttpClient.withTracerDisabledWhen(() => true))
    const clientHeaders = Object.entries(config.headers).map(([k, v]) =>
      [k, v._tag === "Secret" ? Redacted.value(v.secret) : v._tag === "Plain" ? v.value : v.template.source] as const
    )
    const limiter = yield* RateLimit.make(config.rateLimit)
    // One authenticator for the client and one per endpoint override, made once, so an
    // OAuth2 token is fetched once and shared by every resource that uses it.
    const clientAuth = config.auth === undefined ? noAuth : yield* Auth.makeAuthenticator(config.auth)
    const endpointAuth = new Map<string, Auth.Authenticator>()
    for (const resource of source.resources) {
      if (resource.auth === null) endpointAuth.set(resource.name, noAuth)
      else if (resource.auth !== undefined) endpointAuth.set(resource.name, yield* Auth.makeAuthenticator(resource.auth))
    }
    // URLs are described with what goes on the wire, an api_key in the query included.
    const identity = (r: HttpClientRequest.HttpClientRequest) => r
    const describers = new Map(source.resources.map((r) => {
      const auth = r.auth === undefined ? config.auth : r.auth
      return [r.name, auth === undefined || auth === null ? identity : Auth.describe(auth)] as const
    }))
    const describeAuth = (name: string) => describers.get(name) ?? identity
    const retrySchedule = Retry.schedule<Transient>(config.retry)

    const request = (options: RequestOptions): Effect.Effect<PageResponse, ApiError> =>
      Effect.gen(function*() {
        const authenticator = endpointAuth.get(options.resource) ?? clientAuth
        let req = HttpClientRequest.make(options.method)(joinUrl(config.baseUrl, options.url)).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.setUrlParams(options.params)
        )
        for (const [k, v] of clientHeaders) req = HttpClientRequest.setHeader(req, k, v)
        for (const [k, v] of Object.entries(options.headers)) req = HttpClientRequest.setHeader(req, k, v)
        if (options.json !== undefined) req = HttpClientRequest.bodyUnsafeJson(req, options.json)
        else if (options.form?._tag === "Fields") req = HttpClientRequest.bodyUrlParams(req, options.form.fields)
        // A raw body goes as it is (requests sends `data=str` without a content type); an
        // endpoint or client `Content-Type` header names it.
        else if (options.form?._tag === "Raw") req = HttpClientRequest.bodyText(req, options.form.text, req.headers["content-type"] ?? "text/plain")
        const fullUrl = requestUrl(describeAuth(options.resource)(req))
        // A plain counter: this request's attempts run one after another.
        let attempts = 0
        const fail = (reason: ApiErrorReason, detail: string, status?: number) =>
          Effect.suspend(() =>
            Effect.fail(
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
            )
          )
        const timedOut = () =>
          new Transient({
            status: undefined,
            reason: "Timeout",
            detail: `no response within ${Duration.format(config.timeout)}`,
            retryAfter: Option.none()
          })

        // One attempt: transient failures go to the error channel (and are retried); the
        // outcome of a completed exchange, good or bad, is the success value.
        /** The exchange, body included, within the client's timeout. */
        const exchange = (signed: HttpClientRequest.HttpClientRequest) => {
          const exchanged = http.execute(signed).pipe(
            Effect.flatMap((response) => Effect.map(response.text, (text) => ({ response, text }))),
            Effect.catchTags({
              RequestError: (e) =>
                Effect.fail(
                  e.cause instanceof UndiciHttpClient.DeadlineExceeded
                    ? timedOut()
                    : new Transient({ status: undefined, reason: "Transport", detail: transportDetail(e), retryAfter: Option.none() })
                ),
              ResponseError: (e) =>
                Effect.fail(
                  new Transient({
                    status: e.response.status,
                    reason: "Transport",
                    detail: e.reason === "Decode" ? `reading the body: ${e.message}` : e.message,
                    retryAfter: Option.none()
                  })
                )
            })
          )
          return Option.isSome(withDeadline) ? exchanged : Effect.timeoutFail(exchanged, { duration: config.timeout, onTimeout: timedOut })
        }

        const attempt = Effect.gen(function*() {
          attempts += 1
          yield* limiter.acquire
          const signed = yield* authenticator.authenticate(req)
          const { response, text } = yield* exchange(signed)
          yield* limiter.observe(response.headers)
          const action = options.actions === undefined || options.actions.length === 0
            ? undefined
            : matchAction(options.actions, { status: response.status, headers: response.headers, text, url: fullUrl })
          const retryAfter = () =>
            Effect.map(Clock.currentTimeMillis, (now) => Retry.parseRetryAfter(response.headers["retry-after"], now))
          if (action === "retry") {
            return yield* Effect.fail(
              new Transient({
                status: response.status,
                reason: "ResponseAction",
                detail: `a response action asked for a retry: ${snippet(text)}`,
                retryAfter: yield* retryAfter()
              })
            )
          }
          if (action === undefined && config.retry.statusCodes.has(response.status)) {
            return yield* Effect.fail(
              new Transient({ status: response.status, reason: "Status", detail: snippet(text), retryAfter: yield* retryAfter() })
            )
          }
          return { response, text, action }
        }).pipe(
          Effect.catchTag("AuthError", (e) =>
            Effect.succeed({ authError: e.message }))
        )

        const outcome = yield* attempt.pipe(
          // The schedule (its driver, Refs and context) is set up only once an attempt has
          // failed: nearly every page succeeds first time. The retries see the same inputs as
          // `Effect.retry(attempt, schedule)` would: the first failure, then each later one.
          Effect.catchAll((first) => {
            let replayed = false
            const again = Effect.suspend(() => {
              if (replayed) return attempt
              replayed = true
              return Effect.fail(first)
            })
            return Effect.retry(again, retrySchedule)
          }),
          Effect.catchAll((last) =>
            fail(
              last.reason === "Status" || last.reason === "ResponseAction" ? "RetriesExhausted" : last.reason,
              last.reason === "Status" ? `gave up: ${last.detail}` : last.detail,
              last.status
            )
          )
        )
        if ("authError" in outcome) return yield* fail("Auth", outcome.authError)
        const { response, text, action } = outcome
        const count = attempts
        if (action === "ignore") {
          return { url: fullUrl, status: response.status, headers: response.headers, body: undefined, ignored: true, attempts: count }
        }
        if (action === "fail") return yield* fail("ResponseAction", `a response action failed the request: ${snippet(text)}`, response.status)
        if (response.status < 200 || response.status >= 300) {
          return yield* fail("Status", snippet(text), response.status)
        }
        const body = parseJson(text)
        if (Either.isLeft(body)) return yield* fail("MalformedJson", `the response is not valid JSON: ${body.left}`, response.status)
        return { url: fullUrl, status: response.status, headers: response.headers, body: body.right, ignored: false, attempts: count }
      })

    return { request }
  })

/** The platform's message names only the method and URL; the cause says what happened. */
const transportDetail = (
  e: { readonly reason: string; readonly cause?: unknown; readonly description?: string | undefined }
): string => {
  const causes: Array<string> = []
  let cause: unknown = e.cause
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = "code" in cause && typeof cause.code === "string" ? `${cause.code} ` : ""
    causes.push(`${code}${cause.message}`.trim())
    cause = cause.cause
  }
  const what = e.description ?? (causes.length > 0 ? causes.join(": ") : "no details")
  return `${e.reason.toLowerCase()} error: ${what}`
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
