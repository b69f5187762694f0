/**
 * Hostile or broken input never crashes the process: configs and responses nested thousands of
 * levels deep, an expression of thousands of terms, and user code or data that throws each end
 * as a typed error naming the config path or the resource and page. One resource's failure
 * leaves the others to finish.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { MaxConfigDepth } from "../../src/internal/config/configDepth.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as EmbeddedDatabase from "../../src/internal/load/embedded.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { MaxExpressionTokens } from "../../src/internal/syntax/expression.js"
import { errorOf, withResources } from "../support/configFixtures.js"
import { freshDataset } from "../support/database.js"

/** `{ a: { a: ... { a: leaf } } }`, `depth` levels, built without recursion. */
const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

describe("deep and huge configs", () => {
  it("a config nested 5 000 levels is refused with the path where it goes too deep", () => {
    const error = errorOf(withResources([{ name: "a", endpoint: { path: "a", params: { p: nested(5000) } } }]))
    expect(error.issues[0]?.path).toMatch(/^resources\[0\]\.endpoint\.params\.p\.a/)
    expect(error.issues[0]?.message).toContain(`deeper than ${MaxConfigDepth} levels`)
  })

  it("a json body 100 000 levels deep is refused the same way", () => {
    const error = errorOf(withResources([{ name: "a", endpoint: { path: "a", method: "POST", json: nested(100_000) } }]))
    expect(error.issues[0]?.path).toMatch(/^resources\[0\]\.endpoint\.json/)
  })

  it("a config just inside the depth limit is accepted", () => {
    // resources[0].endpoint.json + the nested levels stay below the limit.
    const json = nested(MaxConfigDepth - 6)
    expect(() => errorOf(withResources([{ name: "a", endpoint: { path: "a", method: "POST", json } }]))).toThrow("expected a config error")
  })

  it("a stop_condition of 30 000 terms is refused with its path and the token limit", () => {
    const terms = Array.from({ length: 30_000 }, (_, i) => `response.get('k${i}') == 1`).join(" or ")
    const error = errorOf(withResources([{
      name: "a",
      endpoint: { path: "a", paginator: { type: "cursor", cursor_path: "next", cursor_param: "c", stop_condition: `{{ ${terms} }}` } }
    }]))
    const found = error.issues.find((i) => i.path === "resources[0].endpoint.paginator.stop_condition")
    expect(found?.message).toContain(`at most ${MaxExpressionTokens}`)
  })
})

/** A loopback API answering raw text by path, so a test can serve what JSON.stringify cannot make. */
const serveText = (reply: (url: URL) => string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly close: () => void }>((resume) => {
      const server = createServer((req, res) => {
        res.setHeader("content-type", "application/json")
        res.end(reply(new URL(req.url ?? "/", "http://127.0.0.1")))
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/`, close: () => server.close() }))
      })
    }),
    (server) => Effect.sync(() => server.close())
  )

const Live = Layer.mergeAll(PostgresDestination.layer, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
  Layer.provideMerge(EmbeddedDatabase.layer({ inProcess: true }))
)

layer(Live, { excludeTestServices: true })("hostile responses and throwing user code", (it) => {
  it.scoped("each fails its own resource with a typed error naming resource and page; the others commit", () =>
    Effect.gen(function*() {
      const api = yield* serveText((url) => {
        switch (url.pathname) {
          case "/deep":
            return `[{"id":1,"v":${"[".repeat(100_000)}${"]".repeat(100_000)}}]`
          case "/huge":
            return `[{"id":1,"v":1e400}]`
          case "/badlink":
            return JSON.stringify({ items: [{ id: 1 }], next: "http://[::1" })
          default:
            return JSON.stringify([{ id: 1, name: "fine" }, { id: 2, name: "also fine" }])
        }
      })
      const dataset = yield* freshDataset("hostile")
      const source = yield* RestApiSource.make({
        client: { base_url: api.url, paginator: "single_page" },
        resources: [
          { name: "deep", endpoint: { path: "deep" } },
          { name: "huge", endpoint: { path: "huge" } },
          {
            name: "badlink",
            endpoint: { path: "badlink", data_selector: "items", paginator: { type: "json_link", next_url_path: "next" } }
          },
          {
            name: "throwing_action",
            endpoint: {
              path: "ok",
              response_actions: [() => {
                throw new Error("action broke")
              }]
            }
          },
          {
            name: "throwing_step",
            endpoint: { path: "ok" },
            processing_steps: [{
              map: () => {
                throw new Error("step broke")
              }
            }]
          },
          { name: "healthy", primary_key: "id", endpoint: { path: "ok" } }
        ]
      })
      const info = yield* Pipeline.run(source, { dataset })
      const byName = new Map(info.resources.map((r) => [r.resource, r]))
      expect(byName.get("healthy")?.status).toBe("committed")
      for (const name of ["deep", "huge", "badlink", "throwing_action", "throwing_step"]) {
        const failed = byName.get(name)
        expect(failed?.status, name).toBe("failed")
        expect(failed?.error?.message, name).toMatch(new RegExp(`'${name}'|table ${name}\\b`))
      }
      expect(byName.get("deep")?.error?.message).toContain("nested too deeply")
      expect(byName.get("huge")?.error?.message).toContain("column v is out of range for a double")
      expect(byName.get("badlink")?.error?.message).toMatch(/page 1 .*(Invalid URL|next)/)
      expect(byName.get("throwing_action")?.error?.message).toContain("action broke")
      expect(byName.get("throwing_step")?.error?.message).toContain("step broke")
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM "${dataset}".healthy`)
      expect(rows[0]?.n).toBe(2)
    }))
})
