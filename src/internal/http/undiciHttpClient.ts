/**
 * An `HttpClient` over undici's `Dispatcher.request` that reads each response body whole, in the
 * same promise as the request. It is the transport the CLI and the benchmark give the ApiClient.
 *
 * Why not @effect/platform-node's undici client: a sync is thousands of small JSON pages, each
 * read whole anyway. Measured on the demo API (6 000 pages of 50 records, three resources at a
 * time), the platform client took ~2.5 s of CPU where this one takes ~1.5 s, and every page body
 * outlived a young-generation GC there (~240 MB promoted per run against ~45 MB here), which the
 * full pipeline then paid for in old-generation GCs. What made the difference in those
 * measurements: the body is read in the same promise as the headers, not in a second step
 * through a wrapped, clean-up-registered response.
 *
 * It asks for compressed bodies (`Accept-Encoding: gzip, deflate, br`, unless the request names
 * its own) and decodes them while they arrive (contentEncoding.ts), as Python's requests does.
 *
 * What it does not do:
 * - stream response bodies: `stream` gives the buffered bytes as one chunk, so it is not for
 *   downloads larger than memory;
 * - client spans or `traceparent` headers: requests are not traced (the ApiClient turns them
 *   off for the platform client too: one span per page cost more than the page).
 * Request bodies of every kind are sent (bytes, text, JSON, URL params, FormData, streams).
 *
 * It enforces the exchange limits of `withLimits` (exchangeLimits.ts) itself: a deadline timer
 * in the request's promise and a counted body read, with no Effect of their own.
 */
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Effect, Either, Layer } from "effect"
import { EventEmitter } from "node:events"
import type { Readable } from "node:stream"
import * as Undici from "undici"
import { BufferedResponse, type RawHeaders } from "./bufferedResponse.js"
import { acceptEncoding, codingsOf, readDecoded, UndecodableBody } from "./contentEncoding.js"
import { BodyTooLarge, currentExchangeLimits, DeadlineExceeded } from "./exchangeLimits.js"

interface OutgoingBody {
  readonly body: string | Uint8Array | Readable | null
  /** Set for FormData, whose multipart boundary is only known once it is encoded. */
  readonly contentType?: string | undefined
}

/** The request body as undici takes it. */
const bodyOf = (body: HttpBody.HttpBody): Effect.Effect<OutgoingBody, unknown> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed({ body: null })
    case "Uint8Array":
      return Effect.succeed({ body: body.body })
    case "Raw":
      return Effect.succeed({ body: rawBody(body.body) })
    case "FormData": {
      const encoded = new Request("http://localhost/", { method: "POST", body: body.formData })
      return Effect.tryPromise(() =>
        encoded.arrayBuffer().then((bytes) => ({ body: new Uint8Array(bytes), contentType: encoded.headers.get("content-type") ?? undefined }))
      )
    }
    case "Stream":
      return Effect.map(NodeStream.toReadable(body.stream), (readable): OutgoingBody => ({ body: readable }))
  }
}

/** A raw body undici can send as it is; anything else goes as its string form, as fetch would. */
const rawBody = (u: unknown): string | Uint8Array | null =>
  typeof u === "string" || u instanceof Uint8Array ? u : u === null || u === undefined ? null : String(u)

/**
 * The abort signal undici also takes (an EventEmitter with `aborted` and `reason`): an
 * AbortController per request cost 15 µs of CPU, a tenth of a loopback request.
 */
class AbortEmitter extends EventEmitter {
  aborted = false
  reason: unknown = undefined
  abort(reason?: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit("abort")
  }
}

/**
 * The exchange as an Effect: one abort signal per request, aborted when the fiber is
 * interrupted or, with a deadline, when the timer fires (then the failure is DeadlineExceeded).
 * The timer runs on the real clock (a TestClock does not move it).
 */
const exchange = <A>(
  deadlineMillis: number | undefined,
  run: (signal: AbortEmitter) => Promise<A>,
  onError: (cause: unknown) => HttpClientError.RequestError
): Effect.Effect<A, HttpClientError.RequestError> =>
  Effect.async<A, HttpClientError.RequestError>((resume) => {
    const controller = new AbortEmitter()
    let expired = false
    const timer = deadlineMillis === undefined ? undefined : setTimeout(() => {
      expired = true
      controller.abort(new DeadlineExceeded({ millis: deadlineMillis }))
    }, deadlineMillis)
    let running: Promise<A>
    try {
      running = run(controller)
    } catch (cause) {
      running = Promise.reject(cause)
    }
    running.then(
      (a) => {
        clearTimeout(timer)
        resume(Effect.succeed(a))
      },
      (cause: unknown) => {
        clearTimeout(timer)
        resume(Effect.fail(onError(expired && deadlineMillis !== undefined ? new DeadlineExceeded({ millis: deadlineMillis }) : cause)))
      }
    )
    return Effect.sync(() => {
      clearTimeout(timer)
      controller.abort()
    })
  })

type Body = Undici.Dispatcher.ResponseData["body"]

const ignore = (): void => undefined

/** Reads a body of unknown length, stopping at `max` bytes. */
const readLimited = (body: Body, max: number): Promise<Uint8Array | BodyTooLarge> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    body.on("data", (chunk: Buffer) => {
      size += chunk.byteLength
      if (size <= max) return void chunks.push(chunk)
      body.destroy()
      resolve(new BodyTooLarge({ limit: max }))
    })
    body.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)))
    body.on("error", reject)
  })

/**
 * The whole body, decoded (contentEncoding.ts), or BodyTooLarge as soon as it is known to
 * exceed the limit; UndecodableBody when its Content-Encoding data is corrupt.
 */
const readBody = (body: Body, headers: RawHeaders, max: number | undefined): Promise<Uint8Array | BodyTooLarge | UndecodableBody> => {
  const codings = codingsOf(headers["content-encoding"])
  // The Content-Length of a compressed body says nothing of its decoded size: the decoder counts.
  if (codings !== undefined) return readDecoded(body, codings, max)
  if (max === undefined) return body.bytes()
  const raw = headers["content-length"]
  const announced = typeof raw === "string" ? Number(raw) : Number.NaN
  if (Number.isFinite(announced)) {
    if (announced <= max) return body.bytes()
    // Destroying the body aborts the exchange; the abort it reports is expected.
    body.on("error", ignore)
    body.destroy()
    return Promise.resolve(new BodyTooLarge({ limit: max, announced }))
  }
  return readLimited(body, max)
}

/** The request's headers, with the body's content type and, unless it names its own, our Accept-Encoding. */
const headersOf = (request: HttpClientRequest.HttpClientRequest, outgoing: OutgoingBody): Readonly<Record<string, string>> => {
  const ownEncoding = "accept-encoding" in request.headers
  if (ownEncoding && outgoing.contentType === undefined) return request.headers
  return {
    ...request.headers,
    ...(ownEncoding ? {} : { "accept-encoding": acceptEncoding }),
    ...(outgoing.contentType === undefined ? {} : { "content-type": outgoing.contentType })
  }
}

type Received = BufferedResponse | { readonly tooLarge: BodyTooLarge; readonly response: BufferedResponse }

const send = (
  dispatcher: Undici.Dispatcher,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  outgoing: OutgoingBody,
  maxBodyBytes: number | undefined
) =>
(signal: AbortEmitter): Promise<Received> =>
  dispatcher.request({
    signal,
    method: request.method,
    headers: headersOf(request, outgoing),
    origin: url.origin,
    path: url.pathname + url.search,
    body: outgoing.body
  }).then((response) =>
    // The body is read in the same promise as the headers (see the module comment).
    readBody(response.body, response.headers, maxBodyBytes).then(
      (bytes): Received => {
        if (bytes instanceof BodyTooLarge) {
          return { tooLarge: bytes, response: new BufferedResponse(request, response.statusCode, response.headers, Either.left(bytes)) }
        }
        if (bytes instanceof UndecodableBody) return new BufferedResponse(request, response.statusCode, response.headers, Either.left(bytes))
        return new BufferedResponse(request, response.statusCode, response.headers, Either.right(bytes))
      },
      (cause: unknown) => new BufferedResponse(request, response.statusCode, response.headers, Either.left(cause))
    )
  )

/** An HttpClient over the given dispatcher (an undici Agent, Pool or MockAgent). */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.makeWith<HttpClientError.HttpClientError, never, HttpClientError.HttpClientError, never>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) =>
        Effect.withFiberRuntime((fiber) => {
          const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
          if (Either.isLeft(url)) {
            return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
          }
          // The limits of `withLimits` above us, enforced here (see exchangeLimits.ts).
          const limits = fiber.getFiberRef(currentExchangeLimits)
          if (limits !== undefined) limits.honoured = true
          const transportError = (cause: unknown) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
          return bodyOf(request.body).pipe(
            Effect.mapError(transportError),
            Effect.flatMap((outgoing) =>
              exchange(limits?.timeoutMillis, send(dispatcher, request, url.right, outgoing, limits?.maxBodyBytes), transportError)
            ),
            Effect.flatMap((received) =>
              received instanceof BufferedResponse ? Effect.succeed(received) : Effect.fail(
                new HttpClientError.ResponseError({ request, response: received.response, reason: "Decode", cause: received.tooLarge })
              )
            )
          )
        })),
    Effect.succeed
  )

/** The HttpClient over an undici Agent of its own, closed with the layer. */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => new Undici.Agent()),
      (agent) => Effect.promise(() => agent.destroy().catch(() => undefined))
    ),
    make
  )
)
