/**
 * What the HTTP side logs: each retry as it is scheduled (info: the request, its failure, the
 * retry's number and wait), and with debug logging one line per exchange (status, ms), secrets
 * redacted; nothing per request otherwise.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Fiber, HashMap, Logger, LogLevel, Stream, TestClock } from "effect"
import type { RestApiConfigInput } from "../../src/internal/config/schema.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { fakeHttp, type Reply } from "../support/fakeHttp.js"

const config = {
  client: {
    base_url: "https://api.test/v1/",
    auth: { type: "api_key", name: "key", location: "query", api_key: { secret: "API_KEY" } },
    retry: { max_retries: 4, backoff_factor: 1, jitter: 0 }
  },
  resources: [{ name: "items", endpoint: { path: "/items", data_selector: "data", paginator: "single_page" } }]
} satisfies RestApiConfigInput

const secrets = ConfigProvider.fromMap(new Map([["API_KEY", "k-555-secret"]]))
const ok: Reply = { status: 200, body: { data: [{ id: 1 }] } }

interface Line {
  readonly level: string
  readonly message: string
  readonly annotations: Readonly<Record<string, unknown>>
}

/** Fetches the resource over `script` at `level`, advancing the clock by `seconds`, and returns the log lines. */
const logsOf = (script: ReadonlyArray<Reply>, level: LogLevel.LogLevel, seconds: number) =>
  Effect.gen(function*() {
    const lines: Array<Line> = []
    const capture = Logger.make(({ annotations, logLevel, message }) => {
      // The source's closing line about requests in flight is the adaptive limit's (AdaptiveConcurrency.test.ts).
      if (String(message).includes("request(s) in flight")) return
      lines.push({
        level: logLevel.label,
        message: Array.isArray(message) ? message.join(" ") : String(message),
        annotations: Object.fromEntries(HashMap.toEntries(annotations))
      })
    })
    const http = yield* fakeHttp(script)
    const source = yield* RestApiSource.make(config).pipe(Effect.withConfigProvider(secrets))
    const fiber = yield* source.records("items").pipe(
      Stream.runCollect,
      Effect.provide(http.layer),
      Logger.withMinimumLogLevel(level),
      Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      Effect.fork
    )
    yield* TestClock.adjust(Duration.seconds(seconds))
    yield* Fiber.join(fiber)
    return lines
  })

describe("request and retry logging", () => {
  it.effect("each retry is logged as it is scheduled: request (secrets redacted), cause, number and wait", () =>
    Effect.gen(function*() {
      const lines = yield* logsOf(
        [{ status: 503, text: "busy" }, { transportError: "connect ECONNREFUSED 10.0.0.1:443" }, ok],
        LogLevel.Info,
        3
      )
      expect(lines.map((l) => `${l.level} ${l.message}`)).toEqual([
        "INFO resource 'items': GET https://api.test/v1/items?key=*** failed (HTTP 503); retry 1 of 4 in 1.0s",
        "INFO resource 'items': GET https://api.test/v1/items?key=*** failed (transport error: connect ECONNREFUSED 10.0.0.1:443); retry 2 of 4 in 2.0s"
      ])
      expect(lines[0].annotations).toMatchObject({ resource: "items", event: "retry", retry: 1, max_retries: 4, wait_ms: 1000, cause: "HTTP 503" })
      expect(JSON.stringify(lines)).not.toContain("k-555-secret")
    }))

  it.effect("a Retry-After wait is the one announced", () =>
    Effect.gen(function*() {
      const lines = yield* logsOf([{ status: 429, headers: { "retry-after": "7" } }, ok], LogLevel.Info, 7)
      expect(lines.map((l) => l.message)).toEqual([
        "resource 'items': GET https://api.test/v1/items?key=*** failed (HTTP 429); retry 1 of 4 in 7.0s"
      ])
    }))

  it.effect("at debug level every exchange is one line with its status and milliseconds", () =>
    Effect.gen(function*() {
      const lines = yield* logsOf([{ status: 500, text: "oops" }, ok], LogLevel.Debug, 1)
      const requests = lines.filter((l) => l.annotations["event"] === "request")
      expect(requests.map((l) => `${l.level} ${l.message}`)).toEqual([
        "DEBUG resource 'items': GET https://api.test/v1/items?key=*** 500 (0 ms)",
        "DEBUG resource 'items': GET https://api.test/v1/items?key=*** 200 (0 ms)"
      ])
      expect(requests[0].annotations).toMatchObject({ resource: "items", method: "GET", status: 500, ms: 0 })
      expect(lines.filter((l) => l.annotations["event"] === "retry").length).toBe(1)
      expect(JSON.stringify(lines)).not.toContain("k-555-secret")
    }))

  it.effect("a transport failure at debug level says what failed", () =>
    Effect.gen(function*() {
      const lines = yield* logsOf([{ transportError: "socket hang up" }, ok], LogLevel.Debug, 1)
      expect(lines[0].message).toBe("resource 'items': GET https://api.test/v1/items?key=*** failed: transport error: socket hang up (0 ms)")
    }))

  it.effect("above debug level nothing is logged per request", () =>
    Effect.gen(function*() {
      expect(yield* logsOf([ok], LogLevel.Info, 0)).toEqual([])
    }))
})
