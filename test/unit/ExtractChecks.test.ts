/**
 * What a resource stream says about data that does not fit the config: an include_from_parent
 * field the parent record lacks is an error naming the field and the keys it has (dlt raises);
 * a data_selector that finds nothing in a response with content is a warning naming the
 * resource and the URL.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Logger, Stream } from "effect"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { fakeHttp } from "../support/fakeHttp.js"

describe("data that does not fit the config", () => {
  it.effect("include_from_parent naming a field the parent lacks fails the child, naming the field and the parent's keys", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp((url) =>
        url.pathname === "/orgs" ? { status: 200, body: [{ id: "o1", name: "one" }] } : { status: 200, body: [{ slug: "t" }] }
      )
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [
          { name: "orgs", endpoint: { path: "orgs" } },
          { name: "teams", endpoint: { path: "orgs/{resources.orgs.id}/teams" }, include_from_parent: ["id", "region"] }
        ]
      })
      const result = yield* Effect.either(source.records("teams").pipe(Stream.runCollect, Effect.provide(http.layer)))
      expect(Either.isLeft(result) && result.left._tag === "ExtractError" && result.left.reason).toBe("ParentField")
      expect(Either.isLeft(result) && result.left.message).toContain("field 'region' is not in the 'orgs' record (its keys: id, name)")
    }))

  it.effect("a data_selector that matches nothing in a response with content is a warning, once, naming resource and URL", () =>
    Effect.gen(function*() {
      const http = yield* fakeHttp([{ status: 200, body: { results: [{ id: 1 }], page: 1 } }])
      const source = yield* RestApiSource.make({
        client: { base_url: "https://api.test/", paginator: "single_page" },
        resources: [{ name: "items", endpoint: { path: "items", data_selector: "data" } }]
      })
      const warnings: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        if (logLevel._tag === "Warning") warnings.push(String(message))
      })
      const records = yield* source.records("items").pipe(
        Stream.runCollect,
        Effect.provide(http.layer),
        Effect.provide(Logger.replace(Logger.defaultLogger, capture))
      )
      expect(records.length).toBe(0)
      expect(warnings).toEqual([
        "resource 'items': data_selector 'data' matched nothing in the response from https://api.test/items (its keys: results, page)"
      ])
    }))
})
