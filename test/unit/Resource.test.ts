import { assert, describe, expect, it } from "@effect/vitest"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import type { EndpointConfig, PaginatorConfig } from "../../src/internal/config/schema.js"
import * as Incremental from "../../src/internal/extract/incremental.js"
import * as Resource from "../../src/internal/extract/resource.js"
import { ExtractError } from "../../src/internal/extract/resource.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { defineConfig } from "../../src/internal/extract/source.js"
import { fakeHttp, type Reply } from "../support/fakeHttp.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"

/** The ApiClient over a scripted HttpClient. */
const withApi = (client: HttpClient.HttpClient) => ApiClient.layer.pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))

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
  it.effect("takeRecords hands a page's records over once: the page keeps none afterwards", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(cursorApi(2))
      const source = yield* RestApiSource.make(config)
      const pages = yield* source.pages(source.spec.resources[0]).pipe(
        Stream.runCollect,
        Effect.provide(http.layer)
      )
      const first = Chunk.unsafeGet(pages, 0)
      expect(first.records).toHaveLength(2)
      expect(Resource.takeRecords(first)).toEqual([{ id: "r0", v: 0 }, { id: "r1", v: null }])
      expect(first.records).toEqual([])
      expect(Resource.takeRecords(first)).toEqual([])
      expect(first.index).toBe(0)
      // A page made elsewhere (a plain object) is read, not changed.
      const plain = { index: 0, url: "u", records: [1, 2], attempts: 1 }
      expect(Resource.takeRecords(plain)).toEqual([1, 2])
      expect(plain.records).toEqual([1, 2])
    }))

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

  describe("concurrent pages (paginator concurrency, ours)", () => {
    /**
     * A page_number API (pages 1..total, `per` records each, `total_pages` in every body) whose
     * requests stay in flight for a few scheduler turns, so concurrent ones overlap; counts
     * the most requests in flight at once.
     */
    const pagedApi = (options: { total: number; per: number; empty?: number; missing?: number }) => {
      const state = { inFlight: 0, most: 0, pages: [] as Array<number> }
      const client = HttpClient.make((request, url) =>
        Effect.gen(function*() {
          const page = Number(url.searchParams.get("page"))
          state.pages.push(page)
          state.inFlight++
          state.most = Math.max(state.most, state.inFlight)
          for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
          state.inFlight--
          const data = page === options.empty ? [] : Array.from({ length: options.per }, (_, i) => ({ id: `p${page}-${i}`, n: page }))
          const status = page === options.missing ? 404 : 200
          return HttpClientResponse.fromWeb(
            request,
            new Response(JSON.stringify({ data, total_pages: options.total }), { status, headers: { "content-type": "application/json" } })
          )
        })
      )
      return { state, layer: withApi(client) }
    }
    const source = (paginator: PaginatorConfig) =>
      RestApiSource.make({
        client: { base_url: "https://api.test/" },
        resources: [{ name: "items", endpoint: { path: "items", data_selector: "data", paginator } }]
      })
    const pageNumbers = { type: "page_number", base_page: 1, total_path: "total_pages" } as const
    /** The `items` resource with concurrent page numbers, plus endpoint keys. */
    const concurrentItems = (extra: Pick<EndpointConfig, "incremental" | "response_actions">) =>
      RestApiSource.make({
        client: { base_url: "https://api.test/" },
        resources: [{
          name: "items",
          endpoint: { path: "items", data_selector: "data", paginator: { ...pageNumbers, concurrency: 3 }, ...extra }
        }]
      })
    const ids = (records: Chunk.Chunk<unknown>) =>
      Chunk.toReadonlyArray(records).map((r) => (typeof r === "object" && r !== null && "id" in r ? r.id : undefined))

    it.effect("fetches the pages after the first `concurrency` at a time and yields them in order", () =>
      Effect.gen(function*() {
        const api = pagedApi({ total: 7, per: 2 })
        const src = yield* source({ ...pageNumbers, concurrency: 3 })
        const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(api.layer))
        expect(ids(records)).toEqual(Array.from({ length: 7 }, (_, p) => [`p${p + 1}-0`, `p${p + 1}-1`]).flat())
        expect([...api.state.pages].sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
        expect(api.state.most).toBe(3)
      }))

    it.effect("concurrency: 1 pages one by one, as dlt does; without it, up to 8 pages are in flight", () =>
      Effect.gen(function*() {
        const api = pagedApi({ total: 4, per: 1 })
        const src = yield* source({ ...pageNumbers, concurrency: 1 })
        const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(api.layer))
        expect(ids(records)).toEqual(["p1-0", "p2-0", "p3-0", "p4-0"])
        expect(api.state.pages).toEqual([1, 2, 3, 4])
        expect(api.state.most).toBe(1)

        const many = pagedApi({ total: 20, per: 1 })
        const byDefault = yield* source(pageNumbers)
        const all = yield* byDefault.records("items").pipe(Stream.runCollect, Effect.provide(many.layer))
        expect(ids(all)).toEqual(Array.from({ length: 20 }, (_, p) => `p${p + 1}-0`))
        expect(many.state.most).toBeGreaterThanOrEqual(6)
        expect(many.state.most).toBeLessThanOrEqual(8)
      }))

    it.effect("pages that complete out of order are still yielded in order, and the incremental cursor is the run's maximum", () =>
      Effect.gen(function*() {
        // Later pages answer sooner: page p stays in flight (12 - p) * 5 scheduler turns.
        const order: Array<number> = []
        const client = HttpClient.make((request, url) =>
          Effect.gen(function*() {
            const page = Number(url.searchParams.get("page"))
            for (let i = 0; i < (12 - page) * 5; i++) yield* Effect.yieldNow()
            order.push(page)
            // n falls as pages go on, so the last page does not hold the maximum.
            const data = [{ id: `p${page}`, n: 100 - page }]
            return HttpClientResponse.fromWeb(request, new Response(JSON.stringify({ data, total_pages: 10 })))
          })
        )
        const src = yield* concurrentItems({ incremental: { cursor_path: "n", initial_value: 0 } })
        const resource = src.spec.resources[0]
        const spec = resource.incremental
        assert(spec !== undefined)
        const run = Incremental.start(spec, undefined)
        const pages = yield* src.pages(resource, { incremental: run }).pipe(Stream.runCollect, Effect.provide(withApi(client)))
        expect(order).not.toEqual([...order].sort((a, b) => a - b))
        expect(Chunk.toReadonlyArray(pages).flatMap((p) => ids(Chunk.fromIterable(p.records)))).toEqual(
          Array.from({ length: 10 }, (_, p) => `p${p + 1}`)
        )
        expect(run.state()?.lastValue).toBe(99)
      }))

    it.effect("offset: the total counts records; stops where the total (or maximum_offset) says", () =>
      Effect.gen(function*() {
        const state = { offsets: [] as Array<number> }
        const client = HttpClient.make((request, url) => {
          const offset = Number(url.searchParams.get("offset"))
          state.offsets.push(offset)
          const data = Array.from({ length: Math.max(0, Math.min(10, 45 - offset)) }, (_, i) => ({ id: offset + i }))
          return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(JSON.stringify({ data, total: 45 }))))
        })
        const src = yield* source({ type: "offset", limit: 10, concurrency: 4 })
        const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(withApi(client)))
        expect(ids(records)).toEqual(Array.from({ length: 45 }, (_, i) => i))
        expect([...state.offsets].sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40])

        state.offsets.length = 0
        const capped = yield* source({ type: "offset", limit: 10, concurrency: 4, maximum_offset: 25 })
        const some = yield* capped.records("items").pipe(Stream.runCollect, Effect.provide(withApi(client)))
        expect(ids(some)).toEqual(Array.from({ length: 30 }, (_, i) => i))
      }))

    it.effect("an empty page ends the stream there (stop_after_empty_page), whatever was fetched after it", () =>
      Effect.gen(function*() {
        const api = pagedApi({ total: 8, per: 1, empty: 4 })
        const src = yield* source({ ...pageNumbers, concurrency: 3 })
        const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(api.layer))
        expect(ids(records)).toEqual(["p1-0", "p2-0", "p3-0"])
        // Requests in flight when page 4 came back were cancelled; none past the window started.
        expect(Math.max(...api.state.pages)).toBeLessThanOrEqual(7)
      }))

    it.effect("the incremental cursor's row_order stop ends the stream at that page", () =>
      Effect.gen(function*() {
        const api = pagedApi({ total: 9, per: 1 })
        const src = yield* concurrentItems({ incremental: { cursor_path: "n", initial_value: 0, end_value: 5, row_order: "asc" } })
        const resource = src.spec.resources[0]
        const spec = resource.incremental
        assert(spec !== undefined)
        const pages = yield* src.pages(resource, { incremental: Incremental.start(spec, undefined) }).pipe(
          Stream.runCollect,
          Effect.provide(api.layer)
        )
        expect(Chunk.toReadonlyArray(pages).flatMap((p) => ids(Chunk.fromIterable(p.records)))).toEqual(["p1-0", "p2-0", "p3-0", "p4-0"])
        expect(Chunk.toReadonlyArray(pages).map((p) => p.index)).toEqual([0, 1, 2, 3, 4])
      }))

    it.effect("a response action that ignores a page ends the stream there, as one by one", () =>
      Effect.gen(function*() {
        const api = pagedApi({ total: 6, per: 1, missing: 3 })
        const src = yield* concurrentItems({ response_actions: [{ status_code: 404, action: "ignore" }] })
        const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(api.layer))
        expect(ids(records)).toEqual(["p1-0", "p2-0"])
      }))

    it.effect("a failing page fails the stream, naming its page", () =>
      Effect.gen(function*() {
        const api = pagedApi({ total: 6, per: 1, missing: 3 })
        const src = yield* source({ ...pageNumbers, concurrency: 3 })
        const error = yield* src.records("items").pipe(Stream.runDrain, Effect.provide(api.layer), Effect.flip)
        expect(error.message).toContain("page 3")
        expect(error.message).toContain("page=3")
        expect(error.message).toContain("404")
      }))

    it.effect("is refused where the pages are not known from the first one", () =>
      Effect.gen(function*() {
        const refused: ReadonlyArray<PaginatorConfig> = [
          { ...pageNumbers, concurrency: 2, has_more_path: "more" },
          { ...pageNumbers, concurrency: 2, stop_condition: "{{ response.done }}" },
          { type: "page_number", total_path: null, stop_after_empty_page: true, concurrency: 2 }
        ]
        for (const paginator of refused) {
          const error = yield* source(paginator).pipe(Effect.flip)
          expect(error.message).toMatch(/paginator\.concurrency: concurrent pages need the total/)
        }
      }))
  })
})
