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
 * What it does not do:
 * - stream response bodies: `stream` gives the buffered bytes as one chunk, so it is not for
 *   downloads larger than memory;
 * - client spans or `traceparent` headers: requests are not traced (the ApiClient turns them
 *   off for the platform client too: one span per page cost more than the page).
 * Request bodies of every kind are sent (bytes, text, JSON, URL params, FormData, streams).
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Data, Duration, Effect, Either, Inspectable, Layer, Option, Stream } from "effect"
import type { Readable } from "node:stream"
import * as Undici from "undici"

type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** A response whose body has been read (or failed to read: then every body accessor fails). */
class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private cachedText: string | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: RawHeaders,
    private readonly body: Either.Either<Uint8Array, unknown>
  ) {
    super()
  }

  get headers(): Headers.Headers {
    return (this.cachedHeaders ??= Headers.fromInput(this.rawHeaders))
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.rawHeaders["set-cookie"]
    this.cachedCookies = header === undefined ? Cookies.empty : Cookies.fromSetCookie(typeof header === "string" ? [header] : header)
    return this.cachedCookies
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private get bytes(): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Either.isRight(this.body) ? Effect.succeed(this.body.right) : Effect.fail(this.decodeError(this.body.left))
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    if (this.cachedText !== undefined) return Effect.succeed(this.cachedText)
    return Effect.map(this.bytes, (bytes) => {
      this.cachedText ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
      return this.cachedText
    })
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: (): unknown => (text === "" ? null : JSON.parse(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.map(this.bytes, (bytes) => {
      const copy = new Uint8Array(bytes.byteLength)
      copy.set(bytes)
      return copy.buffer
    })
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.bytes, (bytes) =>
      Effect.tryPromise({
        try: () => new Response(bytes, { headers: { "content-type": this.headers["content-type"] ?? "" } }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.fromEffect(this.bytes)
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status })
  }
}

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
 * A request that ran out of its whole-exchange deadline (see `withDeadline`). It arrives as the
 * `cause` of a `RequestError`.
 */
export class DeadlineExceeded extends Data.TaggedError("DeadlineExceeded")<{ readonly millis: number }> {
  override get message(): string {
    return `no response within ${this.millis} ms`
  }
}

/** Clients made here, and how to make each one's twin with a deadline. */
const deadlines = new WeakMap<HttpClient.HttpClient, (millis: number) => HttpClient.HttpClient>()

/**
 * The same client, failing a request whose exchange (headers and body) takes longer than
 * `timeout` with a `RequestError` caused by `DeadlineExceeded`; `None` for a client not made
 * here, or wrapped since (it is then up to the caller, e.g. `Effect.timeoutFail`).
 *
 * Why: `Effect.timeoutFail` races two forked fibers per request. Measured over 6 000 pages, that
 * took the HTTP slice from 1.5 to 2.6 s of CPU and from 50 to 300 MB promoted to the old
 * generation. A timer in the request's own promise costs neither. It runs on the real clock (a
 * TestClock does not move it).
 */
export const withDeadline = (client: HttpClient.HttpClient, timeout: Duration.DurationInput): Option.Option<HttpClient.HttpClient> => {
  const twin = deadlines.get(client)
  return twin === undefined ? Option.none() : Option.some(twin(Math.max(1, Duration.toMillis(timeout))))
}

/**
 * The exchange as an Effect: one AbortController per request, aborted when the fiber is
 * interrupted or, with a deadline, when the timer fires (then the failure is DeadlineExceeded).
 */
const exchange = <A>(
  deadlineMillis: number | undefined,
  run: (signal: AbortSignal) => Promise<A>,
  onError: (cause: unknown) => HttpClientError.RequestError
): Effect.Effect<A, HttpClientError.RequestError> =>
  Effect.async<A, HttpClientError.RequestError>((resume) => {
    const controller = new AbortController()
    let expired = false
    const timer = deadlineMillis === undefined ? undefined : setTimeout(() => {
      expired = true
      controller.abort(new DeadlineExceeded({ millis: deadlineMillis }))
    }, deadlineMillis)
    let running: Promise<A>
    try {
      running = run(controller.signal)
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

const makeClient = (dispatcher: Undici.Dispatcher, deadlineMillis: number | undefined): HttpClient.HttpClient =>
  HttpClient.makeWith<HttpClientError.HttpClientError, never, HttpClientError.HttpClientError, never>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) => {
        const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
        if (Either.isLeft(url)) {
          return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
        }
        const transportError = (cause: unknown) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        const send = (outgoing: OutgoingBody) => (signal: AbortSignal) =>
          dispatcher.request({
            signal,
            method: request.method,
            headers: outgoing.contentType === undefined ? request.headers : { ...request.headers, "content-type": outgoing.contentType },
            origin: url.right.origin,
            path: url.right.pathname + url.right.search,
            body: outgoing.body
          }).then((response) =>
            // The body is read in the same promise as the headers (see the module comment).
            response.body.bytes().then(
              (bytes) => new BufferedResponse(request, response.statusCode, response.headers, Either.right(bytes)),
              (cause: unknown) => new BufferedResponse(request, response.statusCode, response.headers, Either.left(cause))
            )
          )
        return bodyOf(request.body).pipe(
          Effect.mapError(transportError),
          Effect.flatMap((outgoing) => exchange(deadlineMillis, send(outgoing), transportError))
        )
      }),
    Effect.succeed
  )

/** An HttpClient over the given dispatcher (an undici Agent, Pool or MockAgent). */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient => {
  const client = makeClient(dispatcher, undefined)
  deadlines.set(client, (millis) => makeClient(dispatcher, millis))
  return client
}

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
