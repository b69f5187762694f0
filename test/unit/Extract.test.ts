import { describe, expect, it } from "@effect/vitest"
import { HttpClientRequest } from "@effect/platform"
import { Chunk, Effect, Stream } from "effect"
import type { Page, PageRequest } from "../../src/internal/paginate/paginator.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { defineConfig } from "../../src/internal/extract/source.js"
import { fakeHttp, type Reply } from "../support/fakeHttp.js"

/** orgs → teams (per org) → members (per team), each one page. */
const tree = (url: URL): Reply => {
  const parts = url.pathname.split("/").filter((p) => p !== "")
  if (parts.join("/") === "orgs") return { status: 200, body: [{ id: "o1" }, { id: "o2" }] }
  if (parts[0] === "orgs" && parts[2] === "teams" && parts.length === 3) {
    return { status: 200, body: [{ slug: `${parts[1]}-a` }, { slug: `${parts[1]}-b` }] }
  }
  if (parts[0] === "teams" && parts[2] === "members") {
    return { status: 200, body: [{ login: `${parts[1]}-m1` }, { login: `${parts[1]}-m2` }, { login: "bot" }] }
  }
  return { status: 404, body: { message: "Not Found" } }
}

describe("parent/child, processing steps, custom parts", () => {
  it.effect("chains of children (grandchildren), include_from_parent, processing steps before the data is used", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp(tree)
      const source = yield* RestApiSource.make(defineConfig({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [
          { name: "orgs", endpoint: { path: "orgs" } },
          { name: "teams", endpoint: { path: "orgs/{resources.orgs.id}/teams" }, include_from_parent: ["id"] },
          {
            name: "members",
            endpoint: { path: "teams/{resources.teams.slug}/members" },
            include_from_parent: ["slug"],
            processing_steps: [
              { filter: (m: { login: string }) => m.login !== "bot" },
              { map: (m: { login: string }) => ({ ...m, login: m.login.toUpperCase() }) },
              { yield_map: (m: { login: string }) => [m, { ...m, login: `${m.login}-copy` }] }
            ]
          }
        ]
      }))
      const members = yield* source.records("members").pipe(Stream.runCollect, Effect.provide(http.layer))
      const all = Chunk.toReadonlyArray(members)
      expect(all).toHaveLength(2 * 2 * 2 * 2) // orgs × teams × members without the bot × yield_map
      expect(all[0]).toEqual({ login: "O1-A-M1", _teams_slug: "o1-a" })
      const teams = yield* source.records("teams").pipe(Stream.runCollect, Effect.provide(http.layer))
      expect(Chunk.toReadonlyArray(teams)[0]).toEqual({ slug: "o1-a", _orgs_id: "o1" })
    }))

  it.effect("a custom paginator and a custom auth from a TypeScript config; an endpoint's own auth", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp((url) => {
        const page = Number(url.searchParams.get("p") ?? "1")
        return { status: 200, body: { rows: page <= 3 ? [{ page }] : [] } }
      })
      const myPaginator = () => {
        let seen = 0
        return {
          next: (page: Page): PageRequest | null => {
            seen += 1
            return page.records.length === 0 ? null : { ...page.request, params: { p: String(seen + 1) } }
          }
        }
      }
      const source = yield* RestApiSource.make(defineConfig({
        client: {
          base_url: "https://api.test/",
          auth: { authenticate: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.setHeader(request, "x-signed", "yes") }
        },
        resources: [
          { name: "rows", endpoint: { path: "rows", data_selector: "rows", paginator: myPaginator } },
          {
            name: "public",
            endpoint: { path: "public", data_selector: "rows", paginator: "single_page", auth: { type: "api_key", name: "k", api_key: "v", location: "cookie" } }
          }
        ]
      }))
      const rows = yield* source.records("rows").pipe(Stream.runCollect, Effect.provide(http.layer))
      expect(Chunk.toReadonlyArray(rows)).toEqual([{ page: 1 }, { page: 2 }, { page: 3 }])
      yield* source.records("public").pipe(Stream.runDrain, Effect.provide(http.layer))
      const headers = yield* http.headers
      expect(headers[0]["x-signed"]).toBe("yes")
      expect(headers[headers.length - 1]["x-signed"]).toBeUndefined()
      expect(headers[headers.length - 1]["cookie"]).toBe("k=v")
    }))

  it.effect("a response action function decides per response", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([{ status: 200, body: { items: [1], error: "quota" } }])
      const source = yield* RestApiSource.make(defineConfig({
        client: { base_url: "https://api.test/" },
        resources: [{
          name: "x",
          endpoint: {
            path: "x",
            paginator: "single_page",
            response_actions: [(r: { text: string }) => (r.text.includes("quota") ? "fail" : undefined)]
          }
        }]
      }))
      const error = yield* source.records("x").pipe(Stream.runDrain, Effect.provide(http.layer), Effect.flip)
      expect(error.message).toMatch(/a response action failed the request/)
    }))
})
