/**
 * Config values a program cannot honour are refused with their path, and config files are
 * read as editors write them (a UTF-8 byte order mark included).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { loadConfigFile } from "../../src/internal/config/loadConfig.js"
import { errorOf, withResources } from "../support/configFixtures.js"
import { joinUrl } from "../../src/internal/http/apiClient.js"
import { withoutTrailingSlashes } from "../../src/internal/trailingSlashes.js"

describe("numbers out of range", () => {
  it("a timeout, max_delay or token lifetime past what a timer can hold is refused with its path", () => {
    const error = errorOf(withResources(["a"], {
      timeout: 1e12,
      retry: { max_delay: 3e9 },
      auth: { type: "oauth2_client_credentials", access_token_url: "https://t.test/", client_id: "i", client_secret: "s", default_token_expiration: 1e10 }
    }))
    const messages = error.issues.map((i) => `${i.path}: ${i.message}`)
    for (const key of ["client.timeout", "client.retry.max_delay", "client.auth.default_token_expiration"]) {
      expect(messages.find((m) => m.startsWith(`${key}:`)), key).toContain("at most 2147483 seconds")
    }
  })

  it("negative and zero values where they make no sense are refused", () => {
    const error = errorOf(withResources([
      { name: "a", endpoint: { path: "a", paginator: { type: "offset", limit: -5, maximum_offset: -1 } } },
      { name: "b", endpoint: { path: "b" }, concurrency: 0 }
    ], { timeout: 0, retry: { max_retries: -1 } }))
    const paths = error.issues.map((i) => i.path)
    for (const key of [
      "client.retry.max_retries",
      "client.timeout",
      "resources[0].endpoint.paginator.limit",
      "resources[0].endpoint.paginator.maximum_offset",
      "resources[1].concurrency"
    ]) expect(paths, key).toContain(key)
  })
})

describe("config files", () => {
  it.effect("JSON and YAML files that start with a UTF-8 byte order mark load", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-bom-")))
      const json = path.join(dir, "api.json")
      const yaml = path.join(dir, "api.yaml")
      yield* Effect.promise(() => writeFile(json, "\uFEFF" + JSON.stringify({ client: { base_url: "https://a.test/" }, resources: ["a"] })))
      yield* Effect.promise(() => writeFile(yaml, "\uFEFFclient:\n  base_url: https://a.test/\nresources: [a]\n"))
      for (const file of [json, yaml]) {
        expect(yield* loadConfigFile(file)).toEqual({ client: { base_url: "https://a.test/" }, resources: ["a"] })
      }
      yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
    }))
})

// Patterns like /\/+$/ retry from every position of a long run of slashes: quadratic, so a
// config with a megabyte of them hung for minutes. These must answer at once, like any input.
describe("long runs of one character", () => {
  it("a base_url or path that is a megabyte of slashes joins like any other", () => {
    const slashes = "/".repeat(1_000_000)
    expect(joinUrl(`http://a.test${slashes}x${slashes}`, "items")).toBe(`http://a.test${slashes}x/items`)
    expect(joinUrl("http://a.test/", `${slashes}items`)).toBe("http://a.test/items")
    expect(withoutTrailingSlashes(`${slashes}x`)).toBe(`${slashes}x`)
    expect(withoutTrailingSlashes("a//")).toBe("a")
  })
})
