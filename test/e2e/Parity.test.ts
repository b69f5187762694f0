/**
 * dlt parity end to end: dlt configs for real API styles (GitHub, PokeAPI, Stripe, header
 * cursors, POST search, OAuth2, incremental, retry-by-content) against a loopback server,
 * through Pipeline.run into a real Postgres (PGlite, and the server with TEST_DATABASE_URL).
 */
import { expect, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { ConfigProvider, Effect, Layer } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { defineConfig } from "../../src/internal/extract/source.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { type ParityApi, PARITY_GITHUB_TOKEN, startParityApi } from "../support/parityApi.js"

const withApi = Effect.acquireRelease(Effect.promise(() => startParityApi()), (api) => Effect.promise(() => api.close()))

const count = (dataset: string, table: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}"."${table}"`)).pipe(
    Effect.map((rows) => Number(rows[0].n))
  )

const githubConfig = (api: ParityApi) =>
  defineConfig({
    client: {
      base_url: api.bases.github,
      auth: { type: "bearer", token: { secret: "GITHUB_TOKEN" } },
      paginator: "header_link"
    },
    resource_defaults: { primary_key: "id", write_disposition: "merge", endpoint: { params: { per_page: 5 } } },
    resources: [
      { name: "repos", endpoint: { path: "user/repos" } },
      {
        name: "issues",
        endpoint: {
          path: "repos/{resources.repos.owner.login}/{resources.repos.name}/issues",
          params: { state: "all", since: "{incremental.start_value}" },
          incremental: { cursor_path: "updated_at", initial_value: "2020-01-01T00:00:00Z" },
          response_actions: [{ status_code: 404, action: "ignore" }]
        },
        include_from_parent: ["name"]
      }
    ]
  })

const secrets = ConfigProvider.fromMap(new Map([["GITHUB_TOKEN", PARITY_GITHUB_TOKEN]]))

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true, timeout: 120_000 })((it) => {
    it.scoped("GitHub-like: Link headers, bearer auth, repo → issues children, a 404 child ignored, incremental per parent", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* withApi
        const dataset = yield* freshDataset("gh")
        const source = yield* RestApiSource.make(githubConfig(api)).pipe(Effect.withConfigProvider(secrets))
        const first = yield* Pipeline.run(source, { dataset })
        expect(first.failed, first.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        // 7 repos; repo k has 3k issues; repo-3 answers 404 and is ignored.
        const expectedIssues = [1, 2, 4, 5, 6, 7].reduce((n, k) => n + 3 * k, 0)
        expect(yield* count(dataset, "repos")).toBe(7)
        expect(yield* count(dataset, "issues")).toBe(expectedIssues)
        const parentColumn = yield* sql.unsafe<{ name: string; n: string }>(
          `SELECT _repos_name AS name, count(*) AS n FROM "${dataset}".issues GROUP BY 1 ORDER BY 1`
        )
        expect(parentColumn.map((r) => r.name)).toEqual(["repo-1", "repo-2", "repo-4", "repo-5", "repo-6", "repo-7"])
        const labels = yield* count(dataset, "issues__labels")
        expect(labels).toBeGreaterThan(0)
        // Repos were fetched once (not again for the children): 7 repos / 5 per page = 2 pages.
        const byPath = api.stats().byPath
        expect(byPath["/github/user/repos"]).toBe(2)
        const state = yield* sql.unsafe<{ state: unknown }>(`SELECT state FROM "${dataset}"._rc_state WHERE resource = 'issues'`)
        expect(JSON.stringify(state[0].state)).toContain("perParent")

        // Second run: each repo's issues are asked for since its own last cursor.
        api.resetLog()
        api.touchIssues("repo-7", [1, 2], "2030-01-01T00:00:00Z")
        const second = yield* Pipeline.run(source, { dataset })
        expect(second.failed).toBe(false)
        const issueRequests = api.log().filter((r) => r.path.endsWith("/issues"))
        const sinceOf = (repo: string) => issueRequests.find((r) => r.path.includes(`/${repo}/`))?.query["since"]
        expect(sinceOf("repo-7")).not.toBe("2020-01-01T00:00:00Z")
        expect(sinceOf("repo-1")).not.toBe(sinceOf("repo-7")) // one cursor per parent (dlt#2429)
        const issuesRows = second.resources.find((r) => r.resource === "issues")
        // Only the boundary records (deduplicated) and the touched ones come back.
        expect(issuesRows?.rows).toBeLessThan(expectedIssues)
        expect(yield* count(dataset, "issues")).toBe(expectedIssues)
        const touched = yield* sql.unsafe<{ n: string }>(
          `SELECT count(*) AS n FROM "${dataset}".issues WHERE updated_at >= '2030-01-01T00:00:00Z'`
        )
        expect(touched[0].n).toBe("2")
      }))

    it.scoped("PokeAPI-like next URLs (auto-detected) with single-entity children; Stripe-like has_more + starting_after", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* withApi
        const dataset = yield* freshDataset("poke")
        const source = yield* RestApiSource.make(defineConfig({
          client: { base_url: api.baseUrl + "/" },
          resources: [
            { name: "pokemon_list", endpoint: { path: "pokeapi/pokemon", params: { limit: 20 } }, selected: false },
            { name: "pokemon", endpoint: { path: "pokeapi/pokemon/{resources.pokemon_list.name}" }, concurrency: 4 },
            {
              name: "customers",
              primary_key: "id",
              write_disposition: "merge",
              endpoint: {
                path: "stripe/v1/customers",
                paginator: {
                  type: "cursor",
                  cursor_param: "starting_after",
                  cursor_value: "{{ last_record['id'] }}",
                  limit: 10,
                  stop_condition: "{{ not response['has_more'] }}"
                }
              }
            }
          ]
        }))
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(info.resources.map((r) => r.resource).sort()).toEqual(["customers", "pokemon"])
        expect(yield* count(dataset, "pokemon")).toBe(53)
        expect(yield* count(dataset, "pokemon__types")).toBeGreaterThan(53)
        expect(yield* count(dataset, "customers")).toBe(25)
        const tables = yield* sql.unsafe<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
          [dataset]
        )
        expect(tables.map((t) => t.table_name)).not.toContain("pokemon_list")
        expect(api.stats().byPath["/pokeapi/pokemon"]).toBe(3) // 53 / 20: the list was fetched once
      }))

    it.scoped("header cursors; POST search with the page in the body; OAuth2 token fetched once; retry on a 200 error body", () =>
      Effect.gen(function*() {
        const api = yield* withApi
        const dataset = yield* freshDataset("misc")
        const source = yield* RestApiSource.make(defineConfig({
          client: {
            base_url: api.baseUrl + "/",
            retry: { backoff_factor: 0.01, jitter: 0 },
            auth: {
              type: "oauth2_client_credentials",
              access_token_url: api.tokenUrl,
              client_id: api.oauthClientId,
              client_secret: { secret: "OAUTH_SECRET" }
            }
          },
          resources: [
            {
              name: "events",
              endpoint: { path: "headercursor/events", paginator: { type: "header_cursor", cursor_key: "X-Next-Cursor" } }
            },
            {
              name: "search_items",
              endpoint: {
                path: "search/items",
                method: "POST",
                json: { query: { category: "books" }, page: { size: 5 } },
                data_selector: "items",
                paginator: { type: "page_number", page_body_path: "page.number", base_page: 1, total_path: "total_pages" }
              }
            },
            {
              name: "things",
              endpoint: {
                path: "oauth/api/things",
                paginator: { type: "cursor", cursor_path: "next_page", cursor_param: "page" }
              }
            },
            {
              name: "flaky_items",
              endpoint: {
                path: "flaky/items",
                paginator: "single_page",
                response_actions: [{ content: "temporarily unavailable", action: "retry" }]
              }
            }
          ]
        })).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["OAUTH_SECRET", api.oauthClientSecret]]))))
        const info = yield* Pipeline.run(source, { dataset })
        expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)
        expect(yield* count(dataset, "events")).toBe(23)
        const books = Array.from({ length: 37 }, (_, i) => i).filter((i) => i % 3 === 0).length
        expect(yield* count(dataset, "search_items")).toBeGreaterThan(0)
        const searchBodies = api.log().filter((r) => r.path === "/search/items").map((r) => JSON.stringify(r.body))
        expect(searchBodies[0]).toContain("\"number\":1")
        expect(searchBodies[1]).toContain("\"number\":2")
        expect(books).toBeGreaterThan(0)
        expect(yield* count(dataset, "things")).toBe(12)
        expect(api.stats().tokenRequests).toBe(1)
        const flaky = info.resources.find((r) => r.resource === "flaky_items")
        expect(flaky?.retries).toBe(2)
        expect(yield* count(dataset, "flaky_items")).toBe(5)
      }))

    it.scoped("incremental: the second run asks for less and merges changes; state commits with rows; --full-refresh starts over", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* withApi
        const dataset = yield* freshDataset("inc")
        const config = defineConfig({
          client: { base_url: api.bases.inc },
          resources: [
            {
              name: "orders",
              primary_key: "id",
              write_disposition: "merge",
              endpoint: {
                path: "orders",
                params: { updated_since: "{incremental.start_value}", per_page: 10 },
                data_selector: "orders",
                paginator: { type: "page_number", base_page: 1, total_path: "total_pages" },
                incremental: { cursor_path: "updated_at", initial_value: "2024-01-01T00:00:00Z" }
              }
            },
            {
              // The API ignores any filter: the cursor filters client-side.
              name: "orders_all",
              primary_key: "id",
              write_disposition: "append",
              endpoint: {
                path: "orders_noparam",
                data_selector: "orders",
                paginator: { type: "page_number", base_page: 1, total_path: "total_pages" },
                incremental: { cursor_path: "updated_at", initial_value: "2024-01-01T00:00:00Z" }
              }
            }
          ]
        })
        const source = yield* RestApiSource.make(config)
        const first = yield* Pipeline.run(source, { dataset })
        expect(first.failed).toBe(false)
        expect(yield* count(dataset, "orders")).toBe(30)
        const firstRequests = api.stats().byPath["/inc/orders"] ?? 0

        api.resetLog()
        api.touchOrders([3, 5], "2031-01-01T00:00:00Z")
        const second = yield* Pipeline.run(source, { dataset })
        expect(second.failed).toBe(false)
        expect(api.stats().byPath["/inc/orders"]).toBeLessThan(firstRequests)
        const orders = second.resources.find((r) => r.resource === "orders")
        expect(orders?.rows).toBe(2)
        expect(yield* count(dataset, "orders")).toBe(30)
        // Client-side filtering: the API sent everything again, only the changed rows were kept.
        const all = second.resources.find((r) => r.resource === "orders_all")
        expect(all?.rows).toBe(2)
        expect(yield* count(dataset, "orders_all")).toBe(32)
        const state = yield* sql.unsafe<{ state: { incremental: { lastValue: string } } }>(
          `SELECT state FROM "${dataset}"._rc_state WHERE resource = 'orders'`
        )
        expect(state[0].state.incremental.lastValue).toBe("2031-01-01T00:00:00Z")

        api.resetLog()
        const refreshed = yield* Pipeline.run(source, { dataset, fullRefresh: true, resources: ["orders"] })
        expect(refreshed.resources[0].rows).toBe(30)
        expect(api.log()[0].query["updated_since"]).toBe("2024-01-01T00:00:00Z")
      }))
  })
})
