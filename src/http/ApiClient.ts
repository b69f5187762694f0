/**
 * ApiClient: one GET of one page, as JSON, with the client's base URL, headers, auth,
 * timeout and retry policy applied. Built over the `HttpClient` Tag of @effect/platform,
 * so the transport (undici, fetch, a scripted fake) is chosen by whoever provides it.
 */
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { Clock, Context, Data, Duration, Effect, Either, Layer, Option, Redacted, Ref } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import type { ResolvedClient, Value } from "../config/Resolve.js"
import { type Secret, secretValues } from "../config/Secrets.js"
import * as Auth from "./Auth.js"
import * as Redact from "./Redact.js"
import type { Redactor } from "./Redact.js"
import * as Retry from "./Retry.js"

export type ApiErrorReason = "Status" | "RetriesExhausted" | "Transport" | "Timeout" | "MalformedJson"

/** A failed page request. `url` is always redacted. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly reason: ApiErrorReason
  readonly resource: string
  readonly url: string
  readonly page: number
  readonly status?: number | undefined
  readonly attempts: number
  readonly detail: string
}> {
  override get message(): string {
    const status = this.status === undefined ? "" : ` HTTP ${this.status}`
    const tries = this.attempts > 1 ? ` after ${this.attempts} attempts` : ""
    return `resource '${this.resource}', page ${this.page + 1}: GET ${this.url} failed${tries}:${status} ${this.detail}`.trimEnd()
  }
}

export interface PageResponse {
  /** Absolute URL requested (not redacted: paginators resolve relative links against it). */
  readonly url: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  /** Attempts this page took (1 = no retry). */
  readonly attempts: number
}

export interface GetOptions {
  readonly resource: string
  readonly page: number
  readonly url: string
  readonly params: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, Value<Secret>>>
}

export interface ApiClientService {
  readonly get: (options: GetOptions) => Effect.Effect<PageResponse, ApiError>
}

/** The API of a config's `client`: base URL, default headers, auth, timeout and retry policy. */
export class ApiClient extends Context.Tag("effect-rest-connector/ApiClient")<ApiClient, ApiClientService>() {
  /** Built from the decoded config over whatever `HttpClient` is provided. */
  static readonly layer: Layer.Layer<ApiClient, never, ConnectorConfig | HttpClient.HttpClient> = Layer.effect(
    ApiClient,
    Effect.flatMap(ConnectorConfig, (config) => make(config.client, Redact.make(secretValues(config))))
  )
}

/** dlt joins base and path as `base.rstrip('/') + '/' + path.lstrip('/')`; absolute URLs stand alone. */
export const joinUrl = (baseUrl: string, path: string): string => {
  if (/^https?:\/\//i.test(path)) return path
  if (path === "") return baseUrl
  return `${baseUrl.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`
}

const plain = (value: Value<Secret>): string => (value._tag === "Plain" ? value.value : Redacted.value(value.secret))

/** A failure worth another attempt. */
class Transient extends Data.TaggedError("Transient")<{
  readonly status: number | undefined
  readonly detail: string
  readonly reason: "Status" | "Transport" | "Timeout"
  readonly retryAfter: Option.Option<Duration.Duration>
}> {}

const snippet = (text: string): string => {
  const oneLine = text.replace(/\s+/g, " ").trim()
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine
}

export const make = (
  config: ResolvedClient<Secret>,
  redactor: Redactor
): Effect.Effect<ApiClientService, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const clientHeaders = Object.entries(config.headers).map(([k, v]) => [k, plain(v)] as const)
    const applyAuth = config.auth === undefined ? (r: HttpClientRequest.HttpClientRequest) => r : Auth.apply(config.auth)
    // Default headers and auth belong to the client, not to each call; an endpoint's own
    // header wins over the client's default of the same name (dlt's rule).
    const withDefaults = (request: HttpClientRequest.HttpClientRequest) =>
      clientHeaders.reduce(
        (r, [k, v]) => (k.toLowerCase() in r.headers ? r : HttpClientRequest.setHeader(r, k, v)),
        request
      )
    const http = (yield* HttpClient.HttpClient).pipe(HttpClient.mapRequest((request) => applyAuth(withDefaults(request))))

    const get = (options: GetOptions): Effect.Effect<PageResponse, ApiError> =>
      Effect.gen(function*() {
        let request = HttpClientRequest.get(joinUrl(config.baseUrl, options.url)).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.setUrlParams(options.params)
        )
        for (const [k, v] of Object.entries(options.headers)) request = HttpClientRequest.setHeader(request, k, plain(v))
        // What goes on the wire includes an api_key in the query: describe that URL (redacted).
        const fullUrl = requestUrl(applyAuth(request))
        const attempts = yield* Ref.make(0)
        const fail = (reason: ApiErrorReason, detail: string, status?: number) =>
          Effect.flatMap(Ref.get(attempts), (n) =>
            Effect.fail(
              new ApiError({
                reason,
                resource: options.resource,
                url: redactor.url(fullUrl),
                page: options.page,
                status,
                attempts: n,
                detail: redactor.text(detail)
              })
            ))

        // One attempt: transient failures go to the error channel (and are retried); the
        // outcome of a completed exchange, good or bad, is the success value.
        const attempt = Effect.gen(function*() {
          yield* Ref.update(attempts, (n) => n + 1)
          const response = yield* http.execute(request).pipe(
            Effect.timeoutFail({
              duration: config.timeout,
              onTimeout: () =>
                new Transient({
                  status: undefined,
                  reason: "Timeout",
                  detail: `no response within ${Duration.format(config.timeout)}`,
                  retryAfter: Option.none()
                })
            }),
            Effect.catchTag("RequestError", (e) =>
              Effect.fail(
                new Transient({ status: undefined, reason: "Transport", detail: transportDetail(e), retryAfter: Option.none() })
              )),
            Effect.catchTag("ResponseError", (e) =>
              Effect.fail(new Transient({ status: e.response.status, reason: "Transport", detail: e.message, retryAfter: Option.none() })))
          )
          const text = yield* response.text.pipe(
            Effect.catchAll((e) =>
              Effect.fail(
                new Transient({ status: response.status, reason: "Transport", detail: `reading the body: ${e.message}`, retryAfter: Option.none() })
              )
            )
          )
          if (config.retry.statusCodes.has(response.status)) {
            const now = yield* Clock.currentTimeMillis
            return yield* Effect.fail(
              new Transient({
                status: response.status,
                reason: "Status",
                detail: snippet(text),
                retryAfter: Retry.parseRetryAfter(response.headers["retry-after"], now)
              })
            )
          }
          return { response, text }
        })

        const { response, text } = yield* attempt.pipe(
          Effect.retry(Retry.schedule<Transient>(config.retry)),
          Effect.catchAll((last) =>
            fail(
              last.reason === "Status" ? "RetriesExhausted" : last.reason,
              last.reason === "Status" ? `gave up: ${last.detail}` : last.detail,
              last.status
            )
          )
        )
        if (response.status < 200 || response.status >= 300) {
          return yield* fail("Status", snippet(text), response.status)
        }
        const body = parseJson(text)
        if (Either.isLeft(body)) return yield* fail("MalformedJson", `the response is not valid JSON: ${body.left}`, response.status)
        return {
          url: fullUrl,
          status: response.status,
          headers: response.headers,
          body: body.right,
          attempts: yield* Ref.get(attempts)
        }
      })

    return { get }
  })

/** The platform's message names only the method and URL; the cause says what happened. */
const transportDetail = (e: { readonly reason: string; readonly cause?: unknown; readonly description?: string | undefined }): string => {
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
