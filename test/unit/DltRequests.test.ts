/**
 * Requests built the way dlt builds them, each case named after the dlt test it comes from
 * (dlt's tests/sources/rest_api): static path params, resolve params, incremental definitions
 * and the incremental fields a placeholder may name.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Stream } from "effect"
import { resolveConfig } from "../../src/internal/config/resolve.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { errorOf, withResources } from "../support/configFixtures.js"
import { fakeHttp } from "../support/fakeHttp.js"

/** The URLs one run of `resource` requests, against an API that answers one empty page. */
const requested = (config: Parameters<typeof RestApiSource.make>[0], resource: string) =>
  Effect.gen(function*() {
    const http = yield* fakeHttp(() => ({ status: 200, body: [] }))
    const source = yield* RestApiSource.make(config)
    yield* source.records(resource).pipe(Stream.runDrain, Effect.provide(http.layer))
    return (yield* http.calls).map((u) => new URL(u))
  })

describe("static and resolved path params (test_resolve_config.py)", () => {
  it.effect("test_bind_path_param: plain params named in the path are bound into it and leave the query", () =>
    Effect.gen(function*() {
      const [url] = yield* requested({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{ name: "issues", endpoint: { path: "{org}/{repo}/issues/{id}", params: { org: "dlt-hub", repo: "dlt", id: 12345, state: "open" } } }]
      }, "issues")
      expect(url?.pathname).toBe("/dlt-hub/dlt/issues/12345")
      expect([...(url?.searchParams.keys() ?? [])]).toEqual(["state"])
    }))

  it("test_bind_path_param (tp_6): a resolve param not bound in the path is refused, with its path", () => {
    const error = errorOf(withResources([
      { name: "issues", endpoint: { path: "issues" } },
      { name: "comments", endpoint: { path: "issues/1234/comments", params: { id: { type: "resolve", resource: "issues", field: "id" } } } }
    ]))
    const found = error.issues.find((i) => i.path === "resources[1].endpoint.params.id")
    expect(found?.message).toContain("must be bound in the path")
    expect(found?.message).toContain("{resources.issues.id}")
  })
})

describe("incremental definitions (test_incremental_config.py)", () => {
  it("test_one_resource_cannot_have_many_incrementals: one in params and one in incremental", () => {
    const error = errorOf(withResources([{
      name: "posts",
      endpoint: {
        path: "posts",
        params: { since: { type: "incremental", cursor_path: "updated_at", initial_value: "2024-01-01" } },
        incremental: { cursor_path: "id", initial_value: 1 }
      }
    }]))
    expect(error.issues.map((i) => i.path)).toContain("resources[0].endpoint.params.since")
  })

  it("test_one_resource_cannot_have_many_incrementals_2: two in params", () => {
    const error = errorOf(withResources([{
      name: "posts",
      endpoint: {
        path: "posts",
        params: {
          since: { type: "incremental", cursor_path: "updated_at", initial_value: "2024-01-01" },
          after: { type: "incremental", cursor_path: "id", initial_value: 1 }
        }
      }
    }]))
    expect(error.issues.map((i) => i.message).join("\n")).toContain("one incremental")
  })

  it.effect("end_param without end_value: the param is left out (dlt renders None, requests drops it)", () =>
    Effect.gen(function*() {
      const [url] = yield* requested({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{
          name: "posts",
          endpoint: { path: "posts", incremental: { cursor_path: "id", initial_value: 5, start_param: "since", end_param: "until" } }
        }]
      }, "posts")
      expect(url?.searchParams.get("since")).toBe("5")
      expect(url?.searchParams.has("until")).toBe(false)
    }))

  it.effect("test_incremental_object_interpolation: {incremental.lag} and the other fields fill params", () =>
    Effect.gen(function*() {
      const [url] = yield* requested({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{
          name: "posts",
          endpoint: {
            path: "posts",
            params: {
              initial_value: "{incremental.initial_value}",
              lag: "{incremental.lag}",
              since: "{incremental.start_value}",
              until: "{incremental.end_value}",
              field: "{incremental.cursor_path}"
            },
            incremental: { cursor_path: "id", initial_value: 1600000000, end_value: 1700000000, lag: 3600 }
          }
        }]
      }, "posts")
      expect(Object.fromEntries(url?.searchParams ?? [])).toEqual({
        initial_value: "1600000000",
        lag: "3600",
        since: "1600000000",
        until: "1700000000",
        field: "id"
      })
    }))

  it.effect("incremental fields fill paths, headers and json bodies too", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(() => ({ status: 200, body: [] }))
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{
          name: "posts",
          endpoint: {
            path: "posts/{incremental.range_start}",
            method: "POST",
            headers: { "X-Lag": "{incremental.lag}" },
            json: { lag: "{incremental.lag}", order: "{incremental.last_value_func}" },
            incremental: { cursor_path: "id", initial_value: 1, lag: 10 }
          }
        }]
      })
      yield* source.records("posts").pipe(Stream.runDrain, Effect.provide(http.layer))
      expect(new URL((yield* http.calls)[0] ?? "").pathname).toBe("/posts/closed")
      expect((yield* http.headers)[0]?.["x-lag"]).toBe("10")
      expect(JSON.parse((yield* http.bodies)[0]?.text ?? "")).toEqual({ lag: 10, order: "max" })
    }))
})

describe("smaller keys dlt accepts", () => {
  it.effect("data_selector: null resets a default selector, so the records are detected", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(() => ({ status: 200, body: { results: [{ id: 1 }, { id: 2 }] } }))
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resource_defaults: { endpoint: { data_selector: "data.items" } },
        resources: [{ name: "things", endpoint: { path: "things", data_selector: null } }]
      })
      const records = yield* source.records("things").pipe(Stream.runCollect, Effect.provide(http.layer))
      expect(records.length).toBe(2)
    }))

  it("a columns dict entry may carry dlt's name key; the dict key names the column, as in dlt", () => {
    const resolved = Either.getOrThrow(resolveConfig({
      client: { base_url: "https://api.test/" },
      resources: [{ name: "a", columns: { created: { name: "created", data_type: "timestamp" } } }]
    }))
    expect(resolved.resources[0]?.columnHints.map((c) => c.name)).toEqual(["created"])
  })

  it("table_format: native is accepted; an open table format is refused, saying why it cannot apply", () => {
    expect(Either.isRight(resolveConfig({ client: { base_url: "https://api.test/" }, resources: [{ name: "a", table_format: "native" }] })))
      .toBe(true)
    const error = errorOf(withResources([{ name: "a", table_format: "iceberg" }]))
    const found = error.issues.find((i) => i.path === "resources[0].table_format")
    expect(found?.message).toContain("cannot apply to Postgres")
  })
})

describe("header names with placeholders", () => {
  it.effect("a header name's placeholders are filled before the request, as dlt does", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(() => ({ status: 200, body: [] }))
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{
          name: "posts",
          endpoint: { path: "posts", headers: { "X-Since-{incremental.cursor_path}": "{incremental.start_value}" }, incremental: { cursor_path: "id", initial_value: 7 } }
        }]
      })
      yield* source.records("posts").pipe(Stream.runDrain, Effect.provide(http.layer))
      expect((yield* http.headers)[0]?.["x-since-id"]).toBe("7")
    }))

  it("an invalid header name is a config error naming the header, not an error from the HTTP client", () => {
    const error = errorOf(withResources([{ name: "a", endpoint: { path: "a", headers: { "Bad Header:": "x" } } }], { headers: { "Also Bad": "y" } }))
    const paths = error.issues.map((i) => i.path)
    expect(paths).toContain("resources[0].endpoint.headers[\"Bad Header:\"]")
    expect(paths).toContain("client.headers[\"Also Bad\"]")
    expect(error.issues.map((i) => i.message).join("\n")).toContain("is not a valid HTTP header name")
  })

  it.effect("a header name that is invalid once filled in fails the resource with a clear error", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(() => ({ status: 200, body: [] }))
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{ name: "posts", endpoint: { path: "posts", headers: { "X-{incremental.start_value}": "v" }, incremental: { cursor_path: "id", initial_value: "a b" } } }]
      })
      const error = yield* source.records("posts").pipe(Stream.runDrain, Effect.provide(http.layer), Effect.flip)
      expect(error.message).toContain("\"X-a b\" (from \"X-{incremental.start_value}\") is not a valid HTTP header name")
      expect((yield* http.calls).length).toBe(0)
    }))
})
