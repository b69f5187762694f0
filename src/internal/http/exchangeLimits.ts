/**
 * The limits of one exchange (request, headers and whole body): a deadline and a largest
 * body. `withLimits` puts them on any `HttpClient`; the transport below may enforce them itself.
 *
 * Why a transport may: `Effect.timeoutFail` races two forked fibers per request. Measured over
 * 6 000 pages, that took the HTTP slice from 1.5 to 2.6 s of CPU and from 50 to 300 MB promoted
 * to the old generation; a timer in the request's own promise costs neither. So the limits
 * travel in a FiberRef that the transport reads (it runs in the same fiber, under any wrapper a
 * user adds), and a transport that enforces them says so (`honoured`). Until one has, the
 * middleware enforces them itself: a timeout around the exchange and a counted read of the
 * body into memory. Wrappers can't make the limits disappear, only cost the faster path.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Chunk, Data, Duration, Effect, Either, FiberRef, Stream } from "effect"
import { BufferedResponse, type RawHeaders } from "./bufferedResponse.js"

/** A request that ran out of its whole-exchange deadline; it arrives as a `RequestError`'s cause. */
export class DeadlineExceeded extends Data.TaggedError("DeadlineExceeded")<{ readonly millis: number }> {
  override get message(): string {
    return `no complete response within ${Duration.format(Duration.millis(this.millis))} (client.timeout)`
  }
}

/**
 * A response body larger than the limit, as received or, for a compressed body, once
 * decompressed (`decoded` names its Content-Encoding); it arrives as a `ResponseError`'s cause.
 */
export class BodyTooLarge extends Data.TaggedError("BodyTooLarge")<{
  readonly limit: number
  readonly announced?: number | undefined
  readonly decoded?: string | undefined
}> {
  override get message(): string {
    const announced = this.announced === undefined ? "" : ` (Content-Length ${this.announced})`
    const body = this.decoded === undefined ? "the response body" : `the response body, decompressed (${this.decoded}),`
    return `${body} is larger than ${this.limit} bytes${announced}; raise client.max_response_bytes if pages are that big`
  }
}

/** The limits of the exchange in progress. The transport sets `honoured` when it enforces them. */
export class ExchangeLimits {
  honoured = false
  constructor(readonly timeoutMillis: number, readonly maxBodyBytes: number) {}
}

/** Read by transports that enforce the limits themselves (ours over undici). */
export const currentExchangeLimits: FiberRef.FiberRef<ExchangeLimits | undefined> = FiberRef.unsafeMake<
  ExchangeLimits | undefined
>(undefined)

export interface LimitsOptions {
  readonly timeout: Duration.DurationInput
  /** Largest response body in bytes. */
  readonly maxBodyBytes: number
}

/**
 * Every exchange ends within `timeout` (headers and body) with a body of at most
 * `maxBodyBytes`, read into memory; otherwise it fails with a `RequestError` caused by
 * `DeadlineExceeded` or a `ResponseError` caused by `BodyTooLarge`.
 */
export const withLimits = (options: LimitsOptions) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R> => {
  const timeoutMillis = Math.max(1, Duration.toMillis(options.timeout))
  const maxBodyBytes = options.maxBodyBytes
  // Learned from the first exchange: does the transport enforce the limits itself?
  let transportEnforces = false
  return HttpClient.transform(client, (response, request) => {
    const limits = new ExchangeLimits(timeoutMillis, maxBodyBytes)
    const exchange = withExchangeLimits(response, limits)
    if (transportEnforces) return exchange
    return exchange.pipe(
      Effect.flatMap((r) => (limits.honoured ? Effect.succeed(r) : readWhole(r, maxBodyBytes))),
      Effect.timeoutFail({
        duration: Duration.millis(timeoutMillis),
        onTimeout: () =>
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new DeadlineExceeded({ millis: timeoutMillis }) })
      }),
      Effect.tap(() => {
        if (limits.honoured) transportEnforces = true
      })
    )
  })
}

/**
 * `Effect.locally(exchange, currentExchangeLimits, limits)` in fewer Effect operations (it runs
 * for every request; `locally` is an acquire-use-release): set, and restored when the exchange ends.
 */
const withExchangeLimits = <A, E, R>(exchange: Effect.Effect<A, E, R>, limits: ExchangeLimits): Effect.Effect<A, E, R> =>
  Effect.flatMap(
    FiberRef.getAndSet(currentExchangeLimits, limits),
    (previous) => Effect.ensuring(exchange, FiberRef.set(currentExchangeLimits, previous))
  )

const contentLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const raw = response.headers["content-length"]
  const n = raw === undefined ? Number.NaN : Number(raw)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}

const tooLarge = (response: HttpClientResponse.HttpClientResponse, cause: BodyTooLarge) =>
  new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })

/** Reads a body into memory, counting bytes, and gives the response with that body. */
const readWhole = (
  response: HttpClientResponse.HttpClientResponse,
  maxBodyBytes: number
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.ResponseError> => {
  if (response instanceof BufferedResponse) return Effect.succeed(response)
  const announced = contentLength(response)
  if (announced !== undefined && announced > maxBodyBytes) {
    return Effect.fail(tooLarge(response, new BodyTooLarge({ limit: maxBodyBytes, announced })))
  }
  const headers: RawHeaders = response.headers
  return response.stream.pipe(
    Stream.runFoldEffect({ size: 0, chunks: Chunk.empty<Uint8Array>() }, (acc, chunk) => {
      const size = acc.size + chunk.byteLength
      return size > maxBodyBytes
        ? Effect.fail(tooLarge(response, new BodyTooLarge({ limit: maxBodyBytes })))
        : Effect.succeed({ size, chunks: Chunk.append(acc.chunks, chunk) })
    }),
    Effect.map(({ chunks, size }) =>
      new BufferedResponse(response.request, response.status, headers, Either.right(concat(chunks, size)))
    ),
    // A body that fails half-way is still a response: the failure surfaces when it is read.
    Effect.catchTag("ResponseError", (e) =>
      e.cause instanceof BodyTooLarge
        ? Effect.fail(e)
        : Effect.succeed(new BufferedResponse(response.request, response.status, headers, Either.left(e.cause ?? e))))
  )
}

const concat = (chunks: Chunk.Chunk<Uint8Array>, size: number): Uint8Array => {
  if (Chunk.size(chunks) === 1) return Chunk.unsafeHead(chunks)
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}
