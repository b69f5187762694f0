/**
 * Status classification as HttpClient middleware: what a completed exchange means for the
 * page. A transport failure, a retryable status (`client.retry.status_codes`) or a response
 * action saying "retry" is `Transient` (the retry middleware above may try again); a response
 * action saying "fail" or any other non-2xx is `ResponseRejected`; "ignore" is
 * `ResponseIgnored` (the page has no records and paging ends, dlt's rule).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Data, type Duration, Effect, Option } from "effect"
import type { ResponseAction, ResponseActionKind, ResponseInfo } from "../config/spec.js"
import { BufferedResponse } from "./bufferedResponse.js"
import { UndecodableBody } from "./contentEncoding.js"
import { BodyTooLarge, DeadlineExceeded } from "./exchangeLimits.js"
import { parseRetryAfter } from "./retry.js"

/** A failure worth another attempt. */
export class Transient extends Data.TaggedError("Transient")<{
  readonly status: number | undefined
  readonly detail: string
  readonly reason: "Status" | "Transport" | "Timeout" | "ResponseAction"
  readonly retryAfter: Option.Option<Duration.Duration>
  /** Attempts made when this failure ended the request (set by the retry middleware). */
  readonly attempts: number
}> {}

/** A completed exchange that the page cannot use: a non-2xx status, or a response action's "fail". */
export class ResponseRejected extends Data.TaggedError("ResponseRejected")<{
  readonly reason: "Status" | "ResponseAction" | "TooLarge" | "MalformedBody"
  readonly status: number
  readonly detail: string
  readonly attempts: number
}> {}

/** A response action said "ignore": the page has no records and paging ends. */
export class ResponseIgnored extends Data.TaggedError("ResponseIgnored")<{
  readonly response: HttpClientResponse.HttpClientResponse
  readonly attempts: number
}> {}

export type Classified = Transient | ResponseRejected | ResponseIgnored

export const isTransient = (u: unknown): u is Transient => u instanceof Transient

export interface ClassifyOptions {
  /** Statuses worth retrying (`client.retry.status_codes`). */
  readonly retryStatus: ReadonlySet<number>
  readonly actions: ReadonlyArray<ResponseAction>
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

export const snippet = (text: string): string => {
  const oneLine = text.replace(/\s+/g, " ").trim()
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine
}

/** The platform's message names only the method and URL; the cause says what happened. */
export const transportDetail = (
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

const transient = (
  reason: Transient["reason"],
  detail: string,
  status?: number,
  retryAfter: Option.Option<Duration.Duration> = Option.none()
) => new Transient({ status, reason, detail, retryAfter, attempts: 1 })

/** A failed exchange: too large a body is final; anything else on the wire is worth a retry. */
const fromHttpError = (e: HttpClientError.HttpClientError): Transient | ResponseRejected => {
  if (e._tag === "RequestError") {
    return e.cause instanceof DeadlineExceeded
      ? transient("Timeout", e.cause.message)
      : transient("Transport", transportDetail(e))
  }
  if (e.cause instanceof BodyTooLarge) {
    return new ResponseRejected({ reason: "TooLarge", status: e.response.status, detail: e.cause.message, attempts: 1 })
  }
  // Corrupt compressed data comes back the same on a retry.
  if (e.cause instanceof UndecodableBody) {
    return new ResponseRejected({ reason: "MalformedBody", status: e.response.status, detail: e.cause.message, attempts: 1 })
  }
  // The headers came; the body did not, whole: say what happened to it.
  if (e.cause instanceof DeadlineExceeded) {
    return transient("Timeout", `the headers came, then the body stopped arriving: ${e.cause.message}`, e.response.status)
  }
  return transient(
    "Transport",
    `the headers came, then the connection broke while the body was being read: ${causeDetail(e.cause)}`,
    e.response.status
  )
}

/** A failure's code and message, and its causes' (`UND_ERR_SOCKET other side closed: ECONNRESET ...`). */
const causeDetail = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = "code" in current && typeof current.code === "string" ? `${current.code} ` : ""
    parts.push(`${code}${current.message}`.trim())
    current = current.cause
  }
  return parts.length > 0 ? parts.join(": ") : String(cause)
}

const requestUrl = (response: HttpClientResponse.HttpClientResponse): string => {
  const url = new URL(response.request.url)
  for (const [k, v] of response.request.urlParams) url.searchParams.append(k, v)
  return url.toString()
}

const judge = (
  options: ClassifyOptions,
  response: HttpClientResponse.HttpClientResponse,
  text: string
): Effect.Effect<HttpClientResponse.HttpClientResponse, Classified> => {
  let action: ResponseActionKind | undefined
  try {
    action = options.actions.length === 0
      ? undefined
      : matchAction(options.actions, { status: response.status, headers: response.headers, text, url: requestUrl(response) })
  } catch (e) {
    // A config's own response action is user code: its throw fails this request, not the process.
    const detail = `a response action threw: ${e instanceof Error ? e.message : String(e)}`
    return Effect.fail(new ResponseRejected({ reason: "ResponseAction", status: response.status, detail, attempts: 1 }))
  }
  const retryAfter = () => Effect.map(Clock.currentTimeMillis, (now) => parseRetryAfter(response.headers["retry-after"], now))
  if (action === "retry") {
    return Effect.flatMap(retryAfter(), (after) =>
      Effect.fail(transient("ResponseAction", `a response action asked for a retry: ${snippet(text)}`, response.status, after)))
  }
  if (action === undefined && options.retryStatus.has(response.status)) {
    return Effect.flatMap(retryAfter(), (after) => Effect.fail(transient("Status", snippet(text), response.status, after)))
  }
  if (action === "ignore") return Effect.fail(new ResponseIgnored({ response, attempts: 1 }))
  if (action === "fail") {
    return Effect.fail(
      new ResponseRejected({
        reason: "ResponseAction",
        status: response.status,
        detail: `a response action failed the request: ${snippet(text)}`,
        attempts: 1
      })
    )
  }
  if (response.status < 200 || response.status >= 300) {
    return Effect.fail(new ResponseRejected({ reason: "Status", status: response.status, detail: snippet(text), attempts: 1 }))
  }
  return Effect.succeed(response)
}

/**
 * Classifies every exchange (see the module comment). The body is read here, so a body that
 * breaks off half-way is a transient transport failure like any other.
 */
export const classify = (options: ClassifyOptions) =>
<E, R>(
  client: HttpClient.HttpClient.With<E, R>
): HttpClient.HttpClient.With<E | Classified, R> =>
  HttpClient.transformResponse(client, (exchange) =>
    Effect.matchEffect(exchange, {
      onFailure: (e): Effect.Effect<never, E | Classified> =>
        HttpClientError.isHttpClientError(e) ? Effect.fail(fromHttpError(e)) : Effect.fail(e),
      onSuccess: (response) => {
        if (response instanceof BufferedResponse) {
          const broken = response.bodyFailure()
          return broken !== undefined ? Effect.fail(fromHttpError(broken)) : judge(options, response, response.textSync() ?? "")
        }
        return Effect.matchEffect(response.text, {
          onFailure: (e) => Effect.fail(fromHttpError(e)),
          onSuccess: (text) => judge(options, response, text)
        })
      }
    }))
