import { assert, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Fiber, Logger, Option, Stream, TestClock } from "effect"
import * as ConnectorConfig from "../../src/internal/config/connectorConfig.js"
import type { RestApiConfigInput } from "../../src/internal/config/schema.js"
import { ApiClient, ApiError, clientsPerRun } from "../../src/internal/http/apiClient.js"
import * as Redact from "../../src/internal/http/redact.js"
import { currentRetryBudgets, parseRetryAfter } from "../../src/internal/http/retry.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { fakeHttp, type Reply } from "../support/fakeHttp.js"

type Auth = NonNullable<RestApiConfigInput["client"]["auth"]>
type Retry = NonNullable<RestApiConfigInput["client"]["retry"]>

const config = (retry: Retry, auth: Auth = { type: "api_key", name: "X-API-Token", api_key: { secret: "API_KEY" } }) => ({
  client: { base_url: "https://api.test/v1/", auth, retry },
  resources: [{ name: "items", endpoint: { path: "/items", data_selector: "data", paginator: "single_page" } }]
}) satisfies RestApiConfigInput

const secrets = ConfigProvider.fromMap(new Map([["API_KEY", "k-123-secret"]]))
const ok: Reply = { status: 200, body: { data: [{ id: 1 }] } }
const limited = (headers: Record<string, string> = {}): Reply => ({ status: 429, body: { error: "slow down" }, headers })

/** Forks the fetch of the resource's records and returns the fiber plus the fake's call log. */
const forkFetch = (cfg: ReturnType<typeof config>, script: ReadonlyArray<Reply>) =>
  Effect.gen(function*() {
    const http = yield* fakeHttp(script)
    const source = yield* RestApiSource.make(cfg).pipe(Effect.withConfigProvider(secrets))
    const fiber = yield* source.records("items").pipe(Stream.runCollect, Effect.provide(http.layer), Effect.fork)
    return { fiber, calls: Effect.map(http.calls, (c) => c.length) }
  })

describe("retry policy (TestClock, no real sleeping)", () => {
  it.effect("the seed's policy waits exactly 2, 4 and 8 s between attempts", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(
        config({ status_codes: [429], max_retries: 3, backoff_factor: 2, jitter: 0 }),
        [limited(), limited(), limited(), ok]
      )
      yield* TestClock.adjust(Duration.millis(1))
      expect(yield* calls).toBe(1)
      for (const wait of [2, 4, 8]) {
        yield* TestClock.adjust(Duration.millis(wait * 1000 - 2))
        expect(yield* calls, `still waiting before the ${wait}s retry`).toBe([2, 4, 8].indexOf(wait) + 1)
        yield* TestClock.adjust(Duration.millis(2))
      }
      const records = yield* Fiber.join(fiber)
      expect(yield* calls).toBe(4)
      expect(records.length).toBe(1)
    }))

  it.effect("gives up after max_retries, naming resource, URL, status and attempts", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(
        config({ status_codes: [429], max_retries: 3, backoff_factor: 2, jitter: 0 }, {
          type: "api_key",
          name: "api_key",
          location: "query",
          api_key: { secret: "API_KEY" }
        }),
        [limited()]
      )
      yield* TestClock.adjust(Duration.seconds(14))
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(yield* calls).toBe(4)
      assert(error instanceof ApiError)
      expect(error.reason).toBe("RetriesExhausted")
      expect(error.status).toBe(429)
      expect(error.attempts).toBe(4)
      expect(error.message).toContain("resource 'items'")
      expect(error.message).toContain("https://api.test/v1/items?api_key=***")
      expect(error.message).toContain("after 4 attempts")
      expect(error.message).not.toContain("k-123-secret")
    }))

  it.effect("Retry-After in seconds replaces the backoff", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(config({ jitter: 0 }), [limited({ "retry-after": "7" }), ok])
      yield* TestClock.adjust(Duration.millis(6999))
      expect(yield* calls).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(fiber)
      expect(yield* calls).toBe(2)
    }))

  it.effect("a Retry-After longer than max_delay is capped there, and the wait is said, not slept silently", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      const http = yield* fakeHttp([limited({ "retry-after": "3600" }), ok])
      const source = yield* RestApiSource.make(config({ jitter: 0, max_delay: 30 })).pipe(Effect.withConfigProvider(secrets))
      const fiber = yield* source.records("items").pipe(
        Stream.runCollect,
        Effect.provide(http.layer),
        Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
        Effect.fork
      )
      yield* TestClock.adjust(Duration.seconds(30))
      expect((yield* Fiber.join(fiber)).length).toBe(1)
      expect(warnings).toEqual([
        "resource 'items': the server asked to wait 1h (Retry-After) before retrying; waiting 30s instead (client.retry.max_delay)"
      ])
    }))

  it.effect("retries stop before a wait that would pass max_total_wait, saying so", () =>
    Effect.gen(function*() {
      // Waits of 2 s then 4 s: the second would make 6 s, past the 5 s budget.
      const { fiber, calls } = yield* forkFetch(
        config({ status_codes: [429], max_retries: 5, backoff_factor: 2, jitter: 0, max_total_wait: 5 }),
        [limited()]
      )
      yield* TestClock.adjust(Duration.seconds(2))
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(yield* calls).toBe(2)
      assert(error instanceof ApiError)
      expect(error.attempts).toBe(2)
      expect(error.message).toContain("retries stopped: another wait would pass 5 s of waiting for resource 'items' (client.retry.max_total_wait)")
    }))

  it.effect("within a run, all of a resource's requests draw on one wait budget", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([limited(), ok, limited(), limited()])
      const source = yield* RestApiSource.make(config({ status_codes: [429], max_retries: 5, backoff_factor: 2, jitter: 0, max_total_wait: 5 }))
        .pipe(Effect.withConfigProvider(secrets))
      const twice = yield* Effect.gen(function*() {
        yield* source.records("items").pipe(Stream.runCollect)
        // 2 s waited already: the second request may wait 2 s more, not 4.
        return yield* source.records("items").pipe(Stream.runCollect, Effect.flip)
      }).pipe(Effect.locally(currentRetryBudgets, new Map()), Effect.provide(http.layer), Effect.fork)
      yield* TestClock.adjust(Duration.seconds(4))
      const error = yield* Fiber.join(twice)
      expect((yield* http.calls).length).toBe(4)
      expect(error.message).toContain("client.retry.max_total_wait")
    }))

  it.effect("Retry-After as an HTTP date", () =>
    Effect.gen(function*() {
      const at = new Date(30_000).toUTCString() // TestClock starts at 0
      const { fiber, calls } = yield* forkFetch(config({ jitter: 0 }), [limited({ "retry-after": at }), ok])
      yield* TestClock.adjust(Duration.millis(29_999))
      expect(yield* calls).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(fiber)
      expect(yield* calls).toBe(2)
    }))

  it.effect("Retry-After: 0 cannot spin: the floor is 0.5 s", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(config({ jitter: 0 }), [limited({ "retry-after": "0" }), ok])
      yield* TestClock.adjust(Duration.millis(499))
      expect(yield* calls).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(fiber)
      expect(yield* calls).toBe(2)
    }))

  it.effect("delays are capped by max_delay", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(config({ jitter: 0, max_delay: 3 }), [limited({ "retry-after": "3600" }), ok])
      yield* TestClock.adjust(Duration.millis(2999))
      expect(yield* calls).toBe(1)
      yield* TestClock.adjust(Duration.millis(1))
      yield* Fiber.join(fiber)
    }))

  it.effect("jitter only adds to the wait, never retrying before it", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(config({ jitter: 0.5 }), [limited({ "retry-after": "2" }), ok])
      yield* TestClock.adjust(Duration.millis(1999))
      expect(yield* calls).toBe(1)
      yield* TestClock.adjust(Duration.millis(1001)) // 2 s + at most 50%
      yield* Fiber.join(fiber)
      expect(yield* calls).toBe(2)
    }))

  it.effect("default policy: 5xx and transport errors are retried (1, 2 s), a 401 is not", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(config({ jitter: 0 }), [{ status: 503 }, { transportError: "ECONNRESET" }, ok])
      yield* TestClock.adjust(Duration.seconds(3))
      yield* Fiber.join(fiber)
      expect(yield* calls).toBe(3)

      const denied = yield* forkFetch(config({}), [{ status: 401, body: { error: "invalid token" } }])
      const error = yield* Fiber.join(denied.fiber).pipe(Effect.flip)
      expect(yield* denied.calls).toBe(1)
      assert(error instanceof ApiError)
      expect(error.reason).toBe("Status")
      expect(error.message).toMatch(/HTTP 401 .*invalid token/)
    }))

  it.effect("the client timeout covers the body too: a stalled exchange is retried, then named", () =>
    Effect.gen(function*() {
      const base = config({ max_retries: 1, backoff_factor: 1, jitter: 0 })
      const cfg = { ...base, client: { ...base.client, timeout: 5 } }
      const { fiber, calls } = yield* forkFetch(cfg, [{ hang: "body" }, { hang: "headers" }])
      yield* TestClock.adjust(Duration.millis(4999))
      expect(yield* calls).toBe(1)
      // 5 s timeout on the body, 1 s backoff, then the second attempt never gets headers.
      yield* TestClock.adjust(Duration.millis(1002))
      expect(yield* calls).toBe(2)
      yield* TestClock.adjust(Duration.seconds(5))
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      assert(error instanceof ApiError)
      expect(error.reason).toBe("Timeout")
      expect(error.attempts).toBe(2)
      expect(error.message).toContain("no complete response within 5s")
    }))

  it.effect("a malformed JSON page is a clear error, not retried", () =>
    Effect.gen(function*() {
      const { fiber, calls } = yield* forkFetch(config({}), [{ status: 200, text: "{\"data\": [1, 2" }])
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(yield* calls).toBe(1)
      assert(error instanceof ApiError)
      expect(error.reason).toBe("MalformedJson")
      expect(error.message).toMatch(/not valid JSON/)
    }))
})

describe("form bodies (dlt's data)", () => {
  const formConfig = (data: unknown, headers: Record<string, string> = {}) => ({
    client: { base_url: "https://api.test/v1/" },
    resources: [{
      name: "search",
      endpoint: {
        path: "search",
        method: "POST",
        data,
        headers,
        data_selector: "items",
        paginator: { type: "offset", limit: 2, total_path: null, stop_after_empty_page: true }
      }
    }]
  }) satisfies RestApiConfigInput

  const run = (cfg: RestApiConfigInput) =>
    Effect.gen(function*() {
      const http = yield* fakeHttp((_url, call) => ({ status: 200, body: { items: call < 2 ? [{ id: call }] : [] } }))
      const source = yield* RestApiSource.make(cfg)
      const records = yield* source.records("search").pipe(Stream.runCollect, Effect.provide(http.layer))
      return { records: [...records], bodies: yield* http.bodies, calls: yield* http.calls }
    })

  it.effect("fields are sent form-encoded on every page, the paginator's values in the query", () =>
    Effect.gen(function*() {
      const { bodies, calls, records } = yield* run(formConfig({ q: "red shoes", exact: true, n: 2 }))
      expect(records).toHaveLength(2)
      expect(calls.map((u) => new URL(u).searchParams.get("offset"))).toEqual(["0", "2", "4"])
      for (const b of bodies) {
        expect(b.method).toBe("POST")
        expect(b.contentType).toBe("application/x-www-form-urlencoded")
        expect(Object.fromEntries(new URLSearchParams(b.text))).toEqual({ q: "red shoes", exact: "true", n: "2" })
      }
    }))

  it.effect("a list of pairs keeps repeated names; a string is sent raw, with only the config's content type", () =>
    Effect.gen(function*() {
      const pairs = yield* run(formConfig([["tag", "a"], ["tag", "b"]]))
      expect(pairs.bodies[0]?.text).toBe("tag=a&tag=b")
      const raw = yield* run(formConfig("<query>shoes</query>", { "Content-Type": "application/xml" }))
      expect(raw.bodies[0]).toEqual({ method: "POST", text: "<query>shoes</query>", contentType: "application/xml" })
      const plain = yield* run(formConfig("q=shoes"))
      expect(plain.bodies[0]).toEqual({ method: "POST", text: "q=shoes", contentType: undefined })
    }))
})

describe("auth and headers on the wire", () => {
  it.effect("api_key in a header, bearer, basic; client headers", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Auth, string, string]> = [
        [{ type: "api_key", name: "X-API-Token", api_key: { secret: "API_KEY" } }, "x-api-token", "k-123-secret"],
        [{ type: "bearer", token: { secret: "API_KEY" } }, "authorization", "Bearer k-123-secret"],
        [{ type: "http_basic", username: "u", password: { secret: "API_KEY" } }, "authorization", `Basic ${btoa("u:k-123-secret")}`]
      ]
      for (const [auth, header, value] of cases) {
        const http = yield* fakeHttp([ok])
        const cfg = { ...config({}, auth), client: { ...config({}, auth).client, headers: { "User-Agent": "test-agent" } } }
        const source = yield* RestApiSource.make(cfg).pipe(Effect.withConfigProvider(secrets))
        yield* source.records("items").pipe(Stream.runDrain, Effect.provide(http.layer))
        const [sent] = yield* http.headers
        expect(sent[header]).toBe(value)
        expect(sent["user-agent"]).toBe("test-agent")
      }
    }))
})

describe("redaction", () => {
  it("hides sensitive query params and secret values anywhere", () => {
    const r = Redact.make(["hunter2"])
    expect(r.url("https://u:p@api.test/x?token=abc&page=2&q=hunter2")).toBe("https://***:***@api.test/x?token=***&page=2&q=***")
    expect(r.text("failed with key hunter2 at ?x=hunter2")).toBe("failed with key *** at ?x=***")
  })

  it("parses Retry-After forms", () => {
    expect(parseRetryAfter("5", 0)).toEqual(Option.some(Duration.seconds(5)))
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toEqual(Option.some(Duration.millis(6_000)))
    expect(parseRetryAfter("soon", 0)).toEqual(Option.none())
    expect(Either.isRight(Either.right(1))).toBe(true)
  })
})

describe("layers", () => {
  it.effect("ApiClient.layer over any HttpClient layer: one client per source; endpoint headers win over client defaults", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([ok])
      const cfg = {
        ...config({}, { type: "bearer", token: { secret: "API_KEY" } }),
        client: { ...config({}, { type: "bearer", token: { secret: "API_KEY" } }).client, headers: { "X-Client": "c", "X-Both": "client" } }
      }
      const spec = yield* ConnectorConfig.resolve(cfg).pipe(Effect.withConfigProvider(secrets))
      const response = yield* Effect.gen(function*() {
        const clients = yield* ApiClient
        const client = yield* clients.forSource(spec)
        // Asked again, the service gives the same client (one token, one budget per source).
        expect(yield* clients.forSource(spec)).toBe(client)
        return yield* client.request({ resource: "items", page: 0, method: "GET", url: "items", params: { a: "1" }, headers: { "X-Both": "endpoint" } })
      }).pipe(Effect.provide(http.layer))
      expect(response.body).toEqual({ data: [{ id: 1 }] })
      expect(yield* http.calls).toEqual(["https://api.test/v1/items?a=1"])
      const [sent] = yield* http.headers
      expect(sent).toMatchObject({ "x-client": "c", "x-both": "endpoint", authorization: "Bearer k-123-secret" })
    }))

  it.effect("a run's clients are its own and close with it (a runner syncs thousands of freshly loaded sources)", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([ok])
      const spec = yield* ConnectorConfig.resolve(config({})).pipe(Effect.withConfigProvider(secrets))
      yield* Effect.gen(function*() {
        const clients = yield* ApiClient
        const layerWide = yield* clients.forSource(spec)
        const [first, again, concurrent] = yield* clientsPerRun(Effect.gen(function*() {
          const asked = yield* Effect.all([clients.forSource(spec), clients.forSource(spec)], { concurrency: "unbounded" })
          return [yield* clients.forSource(spec), ...asked] as const
        }))
        // One client per source within the run, even when asked for at once; not the layer's.
        expect(again).toBe(first)
        expect(concurrent).toBe(first)
        expect(first).not.toBe(layerWide)
        // The next run gets a client of its own; outside a run, the layer's as before.
        expect(yield* clientsPerRun(clients.forSource(spec))).not.toBe(first)
        expect(yield* clients.forSource(spec)).toBe(layerWide)
      }).pipe(Effect.provide(http.layer))
    }))
})
