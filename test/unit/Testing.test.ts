/**
 * The Testing module as a connector's author uses it: the README's example, a transport
 * error retried, and a timeout stepped through with the TestClock.
 */
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, Stream, TestClock } from "effect"
import { Pipeline, RestApiSource, Testing } from "effect-rest-connector"

const items = RestApiSource.defineConfig({
  client: { base_url: "https://api.test/v1/" },
  resources: [{
    name: "items",
    endpoint: { path: "items", data_selector: "data", paginator: { type: "cursor", cursor_path: "next", cursor_param: "after" } }
  }]
})

it.effect("loads both pages (the README's example)", () =>
  Effect.gen(function*() {
    const api = yield* Testing.scriptedHttp({
      "GET /v1/items": [
        { body: { data: [{ id: 1, name: "a" }], next: "2" } },
        { body: { data: [{ id: 2, name: "b" }], next: null } }
      ]
    })
    const source = yield* RestApiSource.make({
      client: { base_url: "https://api.test/v1/" },
      resources: [{
        name: "items",
        endpoint: { path: "items", data_selector: "data", paginator: { type: "cursor", cursor_path: "next", cursor_param: "after" } }
      }]
    })
    yield* Pipeline.run(source, { dataset: "shop" }).pipe(Effect.provide(api.layer))
    expect(yield* Testing.rows("shop", "items")).toEqual([{ id: "1", name: "a" }, { id: "2", name: "b" }])
    expect((yield* api.requests).map((r) => r.query)).toEqual([{}, { after: "2" }])
    expect(yield* Testing.tables("shop")).toMatchObject({ items: 2, _rc_loads: 1 })
  }).pipe(Effect.provide(Testing.embedded())))

it.effect("a transport error is retried; an unrouted request is a 404 that names the route", () =>
  Effect.gen(function*() {
    const api = yield* Testing.scriptedHttp({
      "GET /v1/items": [{ transportError: "connection reset" }, { body: { data: [{ id: 1 }], next: null } }]
    })
    const source = yield* RestApiSource.make(items)
    const fiber = yield* source.records("items").pipe(Stream.runCollect, Effect.provide(api.layer), Effect.fork)
    yield* TestClock.adjust(Duration.seconds(2))
    expect(Array.from(yield* Fiber.join(fiber))).toEqual([{ id: 1 }])
    expect(yield* api.requests).toHaveLength(2)

    const wrong = yield* RestApiSource.make({ ...items, client: { base_url: "https://api.test/v2/", retry: { max_retries: 0 } } })
    const missing = yield* Effect.either(wrong.records("items").pipe(Stream.runCollect, Effect.provide(api.layer)))
    expect(Either.isLeft(missing) && missing.left.message).toContain("no scripted route for GET /v2/items")
  }))

it.effect("a reply that hangs runs into client.timeout under the TestClock", () =>
  Effect.gen(function*() {
    const api = yield* Testing.scriptedHttp({ "GET /v1/items": { hang: "headers" } })
    const source = yield* RestApiSource.make({ ...items, client: { ...items.client, timeout: 5, retry: { max_retries: 0 } } })
    const fiber = yield* source.records("items").pipe(Stream.runCollect, Effect.provide(api.layer), Effect.either, Effect.fork)
    yield* TestClock.adjust(Duration.seconds(5))
    const result = yield* Fiber.join(fiber)
    expect(Either.isLeft(result) && result.left._tag === "ApiError" && result.left.reason).toBe("Timeout")
  }))
