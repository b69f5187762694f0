import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { assert, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Redacted, Ref, TestClock } from "effect"
import * as Auth from "../../src/internal/http/auth.js"
import * as OAuth2 from "../../src/internal/http/oauth2.js"

type Secret = Redacted.Redacted<string>

interface Sent {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly contentType: string | undefined
  readonly body: string
}

interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly text?: string
  /** Simulated latency, on the TestClock. */
  readonly delay?: Duration.DurationInput
}

/** A token endpoint (or any server) that records full requests, bodies included. */
const server = (reply: (call: number, sent: Sent) => Reply) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make<ReadonlyArray<Sent>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
        const record: Sent = {
          method: request.method,
          url: url.toString(),
          headers: request.headers,
          contentType: request.body._tag === "Uint8Array" ? request.body.contentType : undefined,
          body
        }
        const n = (yield* Ref.getAndUpdate(sent, (s) => [...s, record])).length
        const r = reply(n, record)
        if (r.delay !== undefined) yield* Effect.sleep(r.delay)
        const text = r.text ?? (r.body === undefined ? "" : JSON.stringify(r.body))
        return HttpClientResponse.fromWeb(
          request,
          new Response(text, { status: r.status, headers: { "content-type": "application/json" } })
        )
      })
    )
    return { layer: Layer.succeed(HttpClient.HttpClient, client), sent: Ref.get(sent) }
  })

const noHttp = Layer.succeed(
  HttpClient.HttpClient,
  HttpClient.make(() => Effect.dieMessage("no HTTP expected"))
)

const get = () => HttpClientRequest.get("https://api.test/items")

const sign = (auth: Auth.Auth<Secret>, request = get()) =>
  Auth.makeAuthenticator(auth).pipe(
    Effect.flatMap((a) => a.authenticate(request)),
    Effect.provide(noHttp)
  )

const SECRET = "s3cr3t-XYZ"
const CLIENT_ID = "client-abc"
const TOKEN_URL = "https://auth.test/oauth/token"

const oauth = (over: Partial<Omit<Auth.OAuth2ClientCredentials<Secret>, "_tag">> = {}): Auth.Auth<Secret> => ({
  _tag: "OAuth2ClientCredentials",
  accessTokenUrl: TOKEN_URL,
  clientId: Redacted.make(CLIENT_ID),
  clientSecret: Redacted.make(SECRET),
  requestData: {},
  defaultExpiration: 3600,
  ...over
})

/** Token `tok-<n>` for the n-th call (0-based), with the given `expires_in`. */
const tokens = (expiresIn?: unknown) => (n: number): Reply => ({
  status: 200,
  body: expiresIn === undefined ? { access_token: `tok-${n}` } : { access_token: `tok-${n}`, expires_in: expiresIn }
})

/** An authenticator over `reply`, and a way to sign one request and count token calls. */
const setup = (auth: Auth.Auth<Secret>, reply: (call: number, sent: Sent) => Reply) =>
  Effect.gen(function*() {
    const s = yield* server(reply)
    const authenticator = yield* Auth.makeAuthenticator(auth).pipe(Effect.provide(s.layer))
    const bearer = authenticator.authenticate(get()).pipe(Effect.map((r) => r.headers["authorization"]))
    const calls = Effect.map(s.sent, (x) => x.length)
    return { authenticator, bearer, calls, sent: s.sent }
  })

describe("simple auth", () => {
  it.effect("bearer", () =>
    Effect.gen(function*() {
      const r = yield* sign({ _tag: "Bearer", token: Redacted.make("t-1") })
      expect(r.headers["authorization"]).toBe("Bearer t-1")
    }))

  it.effect("api_key in a header (dlt default name Authorization is the caller's choice)", () =>
    Effect.gen(function*() {
      const r = yield* sign({ _tag: "ApiKey", name: "X-API-Key", location: "header", apiKey: Redacted.make("k-1") })
      expect(r.headers["x-api-key"]).toBe("k-1")
    }))

  it.effect("api_key in the query", () =>
    Effect.gen(function*() {
      const r = yield* sign({ _tag: "ApiKey", name: "api_key", location: "query", apiKey: Redacted.make("k-1") })
      expect([...r.urlParams]).toEqual([["api_key", "k-1"]])
    }))

  it.effect("http_basic", () =>
    Effect.gen(function*() {
      const r = yield* sign({ _tag: "HttpBasic", username: Redacted.make("user"), password: Redacted.make("pa:ss") })
      expect(r.headers["authorization"]).toBe(`Basic ${Buffer.from("user:pa:ss").toString("base64")}`)
    }))

  it.effect("api_key as a cookie", () =>
    Effect.gen(function*() {
      const r = yield* sign({ _tag: "ApiKey", name: "session", location: "cookie", apiKey: Redacted.make("k-1") })
      expect(r.headers["cookie"]).toBe("session=k-1")
    }))

  it.effect("a cookie api_key merges with an existing Cookie header, replacing a same-named cookie", () =>
    Effect.gen(function*() {
      const auth: Auth.Auth<Secret> = { _tag: "ApiKey", name: "session", location: "cookie", apiKey: Redacted.make("k-1") }
      const merged = yield* sign(auth, HttpClientRequest.setHeader(get(), "Cookie", "theme=dark; lang=en"))
      expect(merged.headers["cookie"]).toBe("theme=dark; lang=en; session=k-1")
      const replaced = yield* sign(auth, HttpClientRequest.setHeader(get(), "Cookie", "session=old; lang=en"))
      expect(replaced.headers["cookie"]).toBe("lang=en; session=k-1")
    }))

  it("describe applies simple auths (a query api_key shows in the URL) and leaves OAuth2 alone", () => {
    const query = Auth.describe({ _tag: "ApiKey", name: "key", location: "query", apiKey: Redacted.make("k") })(get())
    expect([...query.urlParams]).toEqual([["key", "k"]])
    const described = Auth.describe(oauth())(get())
    expect(described.headers["authorization"]).toBeUndefined()
  })

  it("mapSecrets visits every secret of OAuth2, access_token only when given", () => {
    const keys = (auth: Auth.Auth<Secret>) => {
      const out: Array<string> = []
      Auth.mapSecrets(auth, (_, key) => out.push(key))
      return out
    }
    expect(keys(oauth())).toEqual(["client_id", "client_secret"])
    expect(keys(oauth({ accessToken: Redacted.make("pre") }))).toEqual(["client_id", "client_secret", "access_token"])
    const mapped = Auth.mapSecrets(oauth({ accessToken: Redacted.make("pre") }), (s) => Redacted.value(s).length)
    assert(mapped._tag === "OAuth2ClientCredentials")
    expect([mapped.clientId, mapped.clientSecret, mapped.accessToken]).toEqual([CLIENT_ID.length, SECRET.length, 3])
    expect(mapped.accessTokenUrl).toBe(TOKEN_URL)
  })
})

describe("custom auth", () => {
  it("isCustomAuth: an object with an authenticate function", () => {
    expect(Auth.isCustomAuth({ authenticate: (r: unknown) => r })).toBe(true)
    expect(Auth.isCustomAuth({ authenticate: "no" })).toBe(false)
    expect(Auth.isCustomAuth({ type: "bearer", token: "x" })).toBe(false)
    expect(Auth.isCustomAuth(null)).toBe(false)
  })

  it.effect("sync", () =>
    Effect.gen(function*() {
      const r = yield* sign({ _tag: "Custom", authenticate: HttpClientRequest.setHeader("X-Sig", "abc") })
      expect(r.headers["x-sig"]).toBe("abc")
    }))

  it.effect("Promise", () =>
    Effect.gen(function*() {
      const r = yield* sign({
        _tag: "Custom",
        authenticate: async (request) => HttpClientRequest.setHeader(request, "X-Sig", "async")
      })
      expect(r.headers["x-sig"]).toBe("async")
    }))

  it.effect("a throw, a rejection or a non-request result is an AuthError", () =>
    Effect.gen(function*() {
      const thrown = yield* Effect.flip(sign({
        _tag: "Custom",
        authenticate: () => {
          throw new Error("boom")
        }
      }))
      expect(thrown._tag).toBe("AuthError")
      expect(thrown.message).toBe("custom auth failed: boom")
      const rejected = yield* Effect.flip(sign({ _tag: "Custom", authenticate: () => Promise.reject(new Error("nope")) }))
      expect(rejected.message).toBe("custom auth failed: nope")
      // A JavaScript config passes the guard with any function; its result is checked at run time.
      const raw: unknown = { authenticate: () => ({ not: "a request" }) }
      assert(Auth.isCustomAuth(raw))
      const wrong = yield* Effect.flip(sign({ _tag: "Custom", authenticate: raw.authenticate }))
      expect(wrong.message).toContain("did not return a request")
    }))
})

describe("OAuth2 client credentials", () => {
  it.effect("POSTs the form dlt sends, plus access_token_request_data, and adds the bearer token", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth({ requestData: { scope: "read write", audience: "api", skip: null, n: 2 } }), tokens(60))
      expect(yield* t.bearer).toBe("Bearer tok-0")
      const [sent] = yield* t.sent
      expect(sent.method).toBe("POST")
      expect(sent.url).toBe(TOKEN_URL)
      expect(sent.contentType).toBe("application/x-www-form-urlencoded")
      expect(sent.headers["authorization"]).toBeUndefined()
      expect(Object.fromEntries(new URLSearchParams(sent.body))).toEqual({
        grant_type: "client_credentials",
        client_id: CLIENT_ID,
        client_secret: SECRET,
        scope: "read write",
        audience: "api",
        n: "2"
      })
    }))

  it.effect("one token fetch serves 10 concurrent requests, even while the fetch is in flight", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), (n) => ({ ...tokens(3600)(n), delay: "1 second" }))
      const fiber = yield* Effect.fork(Effect.all(Array.from({ length: 10 }, () => t.bearer), { concurrency: "unbounded" }))
      yield* TestClock.adjust("500 millis")
      expect(yield* t.calls).toBe(1)
      assert.isNull(fiber.unsafePoll())
      yield* TestClock.adjust("500 millis")
      const headers = yield* Fiber.join(fiber)
      expect(new Set(headers)).toEqual(new Set(["Bearer tok-0"]))
      expect(yield* t.calls).toBe(1)
      yield* t.bearer
      expect(yield* t.calls).toBe(1)
    }))

  it.effect("refreshes before expiry: a 30 s token at 27 s (10% margin), a 1 h token at 59 min (60 s margin)", () =>
    Effect.gen(function*() {
      const short = yield* setup(oauth(), tokens(30))
      expect(yield* short.bearer).toBe("Bearer tok-0")
      yield* TestClock.adjust("26999 millis")
      expect(yield* short.bearer).toBe("Bearer tok-0")
      expect(yield* short.calls).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* short.bearer).toBe("Bearer tok-1")
      expect(yield* short.calls).toBe(2)

      const long = yield* setup(oauth(), tokens("3600")) // a numeric string is accepted
      yield* long.bearer
      yield* TestClock.adjust("3539 seconds")
      yield* long.bearer
      expect(yield* long.calls).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(yield* long.bearer).toBe("Bearer tok-1")
      expect(yield* long.calls).toBe(2)
    }))

  it.effect("expires_in missing: default_token_expiration applies", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth({ defaultExpiration: 100 }), tokens()) // refresh at 90 s
      yield* t.bearer
      yield* TestClock.adjust("89 seconds")
      yield* t.bearer
      expect(yield* t.calls).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(yield* t.bearer).toBe("Bearer tok-1")
    }))

  it.effect("a pre-issued access_token is used until it is due (default expiration), then a token is fetched", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth({ accessToken: Redacted.make("pre-issued"), defaultExpiration: 100 }), tokens(100))
      expect(yield* t.bearer).toBe("Bearer pre-issued")
      yield* TestClock.adjust("89 seconds")
      expect(yield* t.bearer).toBe("Bearer pre-issued")
      expect(yield* t.calls).toBe(0)
      yield* TestClock.adjust("1 second")
      expect(yield* t.bearer).toBe("Bearer tok-0")
    }))

  it.effect("token endpoint 401: AuthError naming URL and status, no secret, no retry, not cached", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), () => ({ status: 401, body: { error: "invalid_client", secret_echo: SECRET } }))
      const error = yield* Effect.flip(t.bearer)
      expect(error._tag).toBe("AuthError")
      expect(error.message).toBe(`OAuth2 token request to ${TOKEN_URL} failed: HTTP 401 (invalid_client)`)
      const everything = `${error.message} ${String(error)} ${JSON.stringify(error)}`
      expect(everything).not.toContain(SECRET)
      expect(everything).not.toContain(CLIENT_ID)
      expect(yield* t.calls).toBe(1)
      yield* Effect.flip(t.bearer)
      expect(yield* t.calls).toBe(2)
    }))

  it.effect("an error_description quoting the secret is scrubbed", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), () => ({
        status: 400,
        body: { error: "invalid_request", error_description: `bad secret ${SECRET}` }
      }))
      const error = yield* Effect.flip(t.bearer)
      expect(error.message).toBe(`OAuth2 token request to ${TOKEN_URL} failed: HTTP 400 (invalid_request: bad secret ***)`)
    }))

  it.effect("bad JSON or no access_token: AuthError without the body", () =>
    Effect.gen(function*() {
      const bad = yield* setup(oauth(), () => ({ status: 200, text: `<html>${SECRET}` }))
      expect((yield* Effect.flip(bad.bearer)).message).toBe(
        `OAuth2 token request to ${TOKEN_URL} failed: HTTP 200, the body is not JSON`
      )
      const none = yield* setup(oauth(), () => ({ status: 200, body: { token: "tok-leaked" } }))
      const error = yield* Effect.flip(none.bearer)
      expect(error.message).toBe(`OAuth2 token request to ${TOKEN_URL} failed: HTTP 200, the response has no access_token`)
      expect(yield* none.calls).toBe(1)
    }))

  it.effect("503 then success: retried after a short backoff", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), (n) => (n === 0 ? { status: 503, body: { error: "busy" } } : tokens(3600)(n)))
      const fiber = yield* Effect.fork(t.bearer)
      yield* TestClock.adjust("249 millis")
      expect(yield* t.calls).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBe("Bearer tok-1")
      expect(yield* t.calls).toBe(2)
    }))

  it.effect("429/5xx three times: AuthError after 3 attempts (2 retries, 250 then 500 ms)", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), () => ({ status: 429 }))
      const fiber = yield* Effect.fork(Effect.flip(t.bearer))
      yield* TestClock.adjust("250 millis")
      expect(yield* t.calls).toBe(2)
      yield* TestClock.adjust("500 millis")
      const error = yield* Fiber.join(fiber)
      expect(error.message).toBe(`OAuth2 token request to ${TOKEN_URL} failed after 3 attempts: HTTP 429`)
      expect(yield* t.calls).toBe(3)
    }))

  it.effect("a failed refresh keeps serving the still-valid token, and tries again 5 s later", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), (n) => (n === 1 ? { status: 400, body: { error: "temporarily_broken" } } : tokens(100)(n)))
      expect(yield* t.bearer).toBe("Bearer tok-0")
      yield* TestClock.adjust("90 seconds")
      expect(yield* t.bearer).toBe("Bearer tok-0") // refresh failed; old token valid until 100 s
      expect(yield* t.calls).toBe(2)
      yield* TestClock.adjust("4 seconds")
      expect(yield* t.bearer).toBe("Bearer tok-0")
      expect(yield* t.calls).toBe(2)
      yield* TestClock.adjust("1 second")
      expect(yield* t.bearer).toBe("Bearer tok-2")
    }))

  it.effect("an interrupted caller does not strand the others waiting for the same fetch", () =>
    Effect.gen(function*() {
      const t = yield* setup(oauth(), (n) => ({ ...tokens(3600)(n), delay: "1 second" }))
      const first = yield* Effect.fork(t.bearer)
      yield* TestClock.adjust("100 millis")
      const second = yield* Effect.fork(t.bearer)
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(second)).toBe("Bearer tok-0")
      expect(yield* t.calls).toBe(1)
    }))

  it("helpers: refresh margin and expires_in parsing", () => {
    expect(OAuth2.refreshMargin(30_000)).toBe(3_000)
    expect(OAuth2.refreshMargin(3_600_000)).toBe(60_000)
    expect(OAuth2.parseExpiresIn(30, 3600)).toBe(30)
    expect(OAuth2.parseExpiresIn("45", 3600)).toBe(45)
    expect(OAuth2.parseExpiresIn("soon", 3600)).toBe(3600)
    expect(OAuth2.parseExpiresIn(undefined, 3600)).toBe(3600)
    expect(OAuth2.parseExpiresIn(-1, 3600)).toBe(3600)
  })
})
