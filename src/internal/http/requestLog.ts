/**
 * `--verbose`: one debug log line per HTTP exchange (each retry and redirect hop is one),
 * with the resource, method, URL (secrets redacted), status or failure, and milliseconds.
 * The ApiClient adds it only when debug logging is on, so it costs nothing otherwise.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Cause, Clock, Effect, Exit, Option } from "effect"
import { transportDetail } from "./classify.js"

export interface RequestLogOptions {
  /** The resource, in the line and as an annotation. */
  readonly resource: string
  /** The request's URL as the line shows it (secrets redacted). */
  readonly url: (request: HttpClientRequest.HttpClientRequest) => string
}

const failureOf = (error: unknown): string =>
  HttpClientError.isHttpClientError(error) && error._tag === "RequestError"
    ? transportDetail(error)
    : error instanceof Error
    ? error.message
    : String(error)

export const withRequestLog = (options: RequestLogOptions) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transform(client, (exchange, request) =>
    Effect.flatMap(Clock.currentTimeMillis, (started) =>
      Effect.onExit(exchange, (exit) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const ms = now - started
          const url = options.url(request)
          const status = Exit.isSuccess(exit) ? exit.value.status : undefined
          const outcome = Exit.match(exit, {
            onSuccess: (response) => `${response.status}`,
            onFailure: (cause) =>
              Option.match(Cause.failureOption(cause), {
                onSome: (error) => `failed: ${failureOf(error)}`,
                onNone: () => (Cause.isInterruptedOnly(cause) ? "interrupted" : "failed")
              })
          })
          return Effect.logDebug(`resource '${options.resource}': ${request.method} ${url} ${outcome} (${ms} ms)`).pipe(
            Effect.annotateLogs({
              resource: options.resource,
              event: "request",
              method: request.method,
              url,
              ...(status === undefined ? {} : { status }),
              ms
            })
          )
        }))))
