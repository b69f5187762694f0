import { assert, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import { ExtractError } from "../../src/extract/Resource.js"
import * as RestApiSource from "../../src/Source.js"
import { defineConfig } from "../../src/Source.js"
import { fakeHttp, type Reply } from "../support/fakeHttp.js"

/** A cursor API with `pages` pages of two records each, `next` on every page (also the last). */
const cursorApi = (pages: number) => (url: URL): Reply => {
  const n = Number(url.searchParams.get("next") ?? "0")
  return {
    status: 200,
    body: { data: [{ id: `r${2 * n}`, v: n }, { id: `r${2 * n + 1}`, v: null }], next: String(n + 1), hasNext: n + 1 < pages }
  }
}

const Item = Schema.Struct({ id: Schema.String, v: Schema.NullOr(Schema.Number) })

const config = defineConfig({
  client: { base_url: "https://api.test/v1/" },
  resources: [
    {
      name: "items",
      endpoint: {
        path: "items",
        data_selector: "data",
        paginator: { type: "cursor", limit: 2, cursor_param: "next", stop_condition: "{{ response.get('hasNext', {}) == False }}" }
      },
      schema: Item
    }
  ]
})

describe("resource streams", () => {
  it.effect("pages lazily: taking 3 records fetches 2 pages plus a bounded read-ahead, not all 1000", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(cursorApi(1000))
      const source = yield* RestApiSource.make(config)
      const records = yield* source.records("items").pipe(Stream.take(3), Stream.runCollect, Effect.provide(http.layer))
      expect(Chunk.toReadonlyArray(records).map((r) => r.id)).toEqual(["r0", "r1", "r2"])
      // The next pages are fetched while a page is decoded: a small, bounded read-ahead.
      const calls = (yield* http.calls).length
      expect(calls).toBeGreaterThanOrEqual(2)
      expect(calls).toBeLessThanOrEqual(6)
    }))

  it.effect("follows the seed's cursor to the end and decodes with the Schema (typed records)", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(cursorApi(4))
      const source = yield* RestApiSource.make(config)
      const records = yield* source.records("items").pipe(Stream.runCollect, Effect.provide(http.layer))
      const all = Chunk.toReadonlyArray(records)
      expect(all).toHaveLength(8)
      const v: number | null = all[0].v // the Schema's type flows out
      expect(v).toBe(0)
      expect(yield* http.calls).toEqual([
        "https://api.test/v1/items?limit=2",
        "https://api.test/v1/items?limit=2&next=1",
        "https://api.test/v1/items?limit=2&next=2",
        "https://api.test/v1/items?limit=2&next=3"
      ])
    }))

  it.effect("a record that does not fit the Schema names resource, page URL, record index and the Schema's message", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([{ status: 200, body: { data: [{ id: "a", v: 1 }, { id: 7, v: 1 }], hasNext: false } }])
      const source = yield* RestApiSource.make(config)
      const error = yield* source.records("items").pipe(Stream.runDrain, Effect.provide(http.layer), Effect.flip)
      assert(error instanceof ExtractError)
      expect(error.reason).toBe("Decode")
      expect(error.recordIndex).toBe(1)
      expect(error.message).toContain("resource 'items', page 1 (GET https://api.test/v1/items?limit=2), record 1")
      expect(error.message).toContain("Expected string, actual 7")
    }))

  it.effect("detects the data selector on the first page when none is given (dlt's rules)", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [unknown, number]> = [
        [[{ id: 1 }, { id: 2 }], 2],
        [{ meta: { items: [1, 2, 3] }, results: [{ id: 1 }] }, 1],
        [{ page: { entries: [{ id: 1 }, { id: 2 }] } }, 2],
        [{ id: 1, name: "single" }, 1]
      ]
      for (const [body, expected] of cases) {
        const http = yield* fakeHttp([{ status: 200, body }])
        const source = yield* RestApiSource.make({ client: { base_url: "https://api.test/" }, resources: [{ name: "x", endpoint: { paginator: "single_page" } }] })
        const records = yield* source.records("x").pipe(Stream.runCollect, Effect.provide(http.layer))
        expect(records.length, JSON.stringify(body)).toBe(expected)
      }
    }))

  it.effect("a paginator that asks for the same page twice is stopped as a loop", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([{ status: 200, body: { items: [{ id: 1 }], next: "/v1/items" } }])
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/v1/" },
        resources: [{ name: "items", endpoint: { path: "items", paginator: "json_link" } }]
      })
      const error = yield* source.records("items").pipe(Stream.runDrain, Effect.provide(http.layer), Effect.flip)
      expect(error.message).toMatch(/same page again \(a loop\)/)
      expect((yield* http.calls).length).toBe(2)
    }))
})
