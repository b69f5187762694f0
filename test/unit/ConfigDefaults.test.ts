/** resource_defaults merged as dlt merges them, and secrets read through the ConfigProvider. */
import { assert, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import { mergeDefaults } from "../../src/internal/config/defaults.js"
import { resolveConfig } from "../../src/internal/config/resolve.js"
import type { ResourceConfig } from "../../src/internal/config/schema.js"
import { resolveSecrets } from "../../src/internal/config/secrets.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { fromSpec } from "../../src/internal/paginate/fromSpec.js"
import { seed, withResources } from "../support/configFixtures.js"

const defineConfig = RestApiSource.defineConfig

describe("resource_defaults merging (dlt's rules)", () => {
  const merge = (resource: ResourceConfig, defaults: Parameters<typeof mergeDefaults>[1]) => mergeDefaults(resource, defaults)

  it("fills missing keys, the resource wins where both set a key", () => {
    const merged = merge({ name: "a", write_disposition: "append" }, { primary_key: "id", write_disposition: "merge" })
    expect(merged).toMatchObject({ name: "a", primary_key: "id", write_disposition: "append" })
  })

  it("merges endpoint key by key, params and json one level deep, paginator whole", () => {
    const merged = merge(
      {
        name: "a",
        endpoint: { path: "a", params: { per_page: 10 }, json: { b: 2 }, paginator: { type: "cursor", cursor_param: "after" } }
      },
      {
        endpoint: {
          params: { per_page: 100, sort: "asc" },
          json: { a: 1, b: 1 },
          data_selector: "items",
          paginator: { type: "cursor", cursor_path: "meta.next", limit: 5 }
        }
      }
    )
    expect(merged.endpoint).toEqual({
      path: "a",
      params: { per_page: 10, sort: "asc" },
      json: { a: 1, b: 2 },
      data_selector: "items",
      paginator: { type: "cursor", cursor_param: "after" }
    })
  })

  it("paginator precedence: endpoint > resource_defaults > client", () => {
    const result = resolveConfig({
      client: { base_url: "https://api.test/", paginator: "single_page" },
      resource_defaults: { endpoint: { paginator: { type: "json_link" } } },
      resources: [
        "a",
        { name: "b", endpoint: { path: "b", paginator: { type: "offset", limit: 5, total_path: null } } }
      ]
    })
    assert(Either.isRight(result))
    expect(result.right.resources.map((r) => fromSpec(r.paginator).type)).toEqual(["json_link", "offset"])
    const clientOnly = resolveConfig(withResources(["a"]))
    assert(Either.isRight(clientOnly))
    expect(fromSpec(clientOnly.right.resources[0].paginator).type).toBe("single_page")
  })
})

describe("secrets", () => {
  const provider = (entries: ReadonlyArray<readonly [string, string]>) => ConfigProvider.fromMap(new Map(entries))

  it.effect("resolves { secret } through the ConfigProvider, kept redacted", () =>
    Effect.gen(function*() {
      const resolved = Either.getOrThrow(resolveConfig(seed))
      const ready = yield* resolveSecrets(resolved).pipe(Effect.withConfigProvider(provider([["API_KEY", "s3cr3t"]])))
      const auth = ready.client.auth
      assert(auth?._tag === "ApiKey")
      expect(Redacted.value(auth.apiKey)).toBe("s3cr3t")
      expect(String(auth.apiKey)).toBe("<redacted>")
    }))

  it.effect("reports every missing secret with its key, never a value", () =>
    Effect.gen(function*() {
      const input = {
        client: {
          base_url: "https://api.test/",
          paginator: "single_page",
          auth: { type: "http_basic", username: { secret: "USER" }, password: { secret: "PASS" } },
          headers: { "X-Other": { secret: "OTHER" } }
        },
        resources: ["a"]
      }
      const resolved = Either.getOrThrow(resolveConfig(input))
      const error = yield* Effect.flip(resolveSecrets(resolved).pipe(Effect.withConfigProvider(provider([["USER", "user-value-xyz"]]))))
      expect(error.issues.map((i) => i.path).sort()).toEqual(["client.auth.password", "client.headers[\"X-Other\"]"])
      expect(error.message).toMatch(/secret 'PASS' .* is not set/)
      expect(error.message).not.toContain("user-value-xyz")
    }))

  it.effect("a TypeScript config may pass a Redacted or a string", () =>
    Effect.gen(function*() {
      const source = yield* RestApiSource.make(defineConfig({
        client: { base_url: "https://api.test/", auth: { token: Redacted.make("tok") }, paginator: "single_page" },
        resources: ["a"]
      }))
      const auth = source.spec.client.auth
      assert(auth?._tag === "Bearer")
      expect(Redacted.value(auth.token)).toBe("tok")
    }))
})
