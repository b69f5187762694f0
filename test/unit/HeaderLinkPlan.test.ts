/**
 * `header_link` pages fetched concurrently when the first page's `Link` numbers them
 * (GitHub: rel="next" is ?page=2, rel="last" is ?page=N), and one by one when it does not.
 */
import { describe, expect, it } from "@effect/vitest"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Chunk, Effect, Layer, Stream } from "effect"
import type { PaginatorConfig } from "../../src/internal/config/schema.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"

const withApi = (client: HttpClient.HttpClient) => ApiClient.layer.pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))

/** A GitHub-style API of `total` pages (one record each); `last: false` leaves out rel="last". */
const githubApi = (total: number, options: { readonly last: boolean }) => {
  const state = { inFlight: 0, most: 0, pages: [] as Array<number> }
  const client = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const page = Number(url.searchParams.get("page") ?? "1")
      state.pages.push(page)
      state.inFlight++
      state.most = Math.max(state.most, state.inFlight)
      // Later pages answer sooner, so they complete out of order.
      for (let i = 0; i < (total - page + 1) * 3; i++) yield* Effect.yieldNow()
      state.inFlight--
      const link = (p: number, rel: string) => `<https://api.test/items?per_page=1&page=${p}>; rel="${rel}"`
      const links = [
        ...(page < total ? [link(page + 1, "next")] : []),
        ...(options.last && page < total ? [link(total, "last")] : []),
        ...(page > 1 ? [link(1, "first")] : [])
      ]
      return HttpClientResponse.fromWeb(
        request,
        new Response(JSON.stringify([{ id: page }]), { headers: { "content-type": "application/json", link: links.join(", ") } })
      )
    })
  )
  return { state, layer: withApi(client) }
}

const source = (paginator: PaginatorConfig) =>
  RestApiSource.make({
    client: { base_url: "https://api.test/" },
    resources: [{ name: "items", endpoint: { path: "items", params: { per_page: 1 }, paginator } }]
  })

const ids = (records: Chunk.Chunk<unknown>) =>
  Chunk.toReadonlyArray(records).map((r) => (typeof r === "object" && r !== null && "id" in r ? r.id : undefined))

describe("header_link pages numbered by rel=\"last\"", () => {
  it.effect("are fetched up to 8 at a time by default and yielded in order", () =>
    Effect.gen(function*() {
      const api = githubApi(15, { last: true })
      const src = yield* source({ type: "header_link" })
      const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(api.layer))
      expect(ids(records)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
      expect([...api.state.pages].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
      expect(api.state.most).toBeGreaterThan(1)
      expect(api.state.most).toBeLessThanOrEqual(8)
    }))

  it.effect("concurrency: 1, a stop_condition or no rel=\"last\" page one by one, following rel=\"next\"", () =>
    Effect.gen(function*() {
      for (const [paginator, last] of [
        [{ type: "header_link", concurrency: 1 }, true],
        [{ type: "header_link", stop_condition: "{{ False }}" }, true],
        [{ type: "header_link" }, false]
      ] as const) {
        const api = githubApi(5, { last })
        const src = yield* source(paginator)
        const records = yield* src.records("items").pipe(Stream.runCollect, Effect.provide(api.layer))
        expect(ids(records)).toEqual([1, 2, 3, 4, 5])
        expect(api.state.pages).toEqual([1, 2, 3, 4, 5])
        expect(api.state.most).toBe(1)
      }
    }))

  it.effect("concurrency with a stop_condition is a config error naming the key", () =>
    Effect.gen(function*() {
      const error = yield* source({ type: "header_link", concurrency: 4, stop_condition: "{{ False }}" }).pipe(Effect.flip)
      expect(error.message).toContain("paginator.concurrency")
    }))
})
