/**
 * A response whose body has been read whole (or failed to read: then every body accessor
 * fails). Our undici client makes these, and the exchange-limits middleware turns any other
 * client's responses into these, so everything above the transport reads a body that is
 * already in memory, within the exchange's deadline and size limit.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import { Effect, Either, Inspectable, Option, Stream } from "effect"

export type RawHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** A response whose body has been read (or failed to read: then every body accessor fails). */
export class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  private cachedHeaders: Headers.Headers | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private cachedText: string | undefined
  /** Attempts the exchange took, set by the retry middleware (1 = no retry). */
  attempts = 1

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

  decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private get bytes(): Effect.Effect<Uint8Array, HttpClientError.ResponseError> {
    return Either.isRight(this.body) ? Effect.succeed(this.body.right) : Effect.fail(this.decodeError(this.body.left))
  }

  /** The body's size in bytes (as received, decompressed if it was compressed); 0 when it could not be read. */
  get byteLength(): number {
    return Either.isRight(this.body) ? this.body.right.byteLength : 0
  }

  /** The body as text, read synchronously; undefined when it could not be read. */
  textSync(): string | undefined {
    if (this.cachedText !== undefined) return this.cachedText
    if (Either.isLeft(this.body)) return undefined
    const bytes = this.body.right
    this.cachedText = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
    return this.cachedText
  }

  /** Why the body could not be read, if it could not. */
  bodyFailure(): HttpClientError.ResponseError | undefined {
    return Either.isLeft(this.body) ? this.decodeError(this.body.left) : undefined
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

