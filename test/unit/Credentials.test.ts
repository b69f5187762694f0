/**
 * Credentials go only to client.base_url's origin and client.trusted_origins, against two real
 * servers on 127.0.0.1 (two ports, two origins): a redirect or a next link to the other one
 * carries no token, key, cookie, basic auth or secret header/param, with one warning per origin;
 * a trusted origin gets them. Values templated into a path stay inside the path.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Chunk, ConfigProvider, Effect, Either, Layer, Logger, Stream } from "effect"
import type { RestApiConfigInput } from "../../src/internal/config/schema.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as UndiciHttpClient from "../../src/internal/http/undiciHttpClient.js"
import { recordingServer, reply, type Seen } from "../support/recordingServer.js"

const Live = ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))

const secrets = new Map([
  ["TOKEN", "tok-bearer-1"],
  ["KEY", "key-2"],
  ["USER", "user-3"],
  ["PASS", "pass-4"],
  ["HDR", "hdr-5"],
  ["PARAM", "param-6"],
  ["CLIENT_SECRET", "cs-7"]
])
/** What the token endpoint hands out: not a config secret, a credential all the same. */
const oauthToken = "oauth-token-8"
const everySecret = [...secrets.values(), oauthToken, Buffer.from("user-3:pass-4").toString("base64")]

/**
 * The API's origin. `/token`: an OAuth2 token. `/moved/...`: a 302 to the other origin's
 * `/page/1`. `/linked/...`: a page whose next link is on the other origin, its query echoed
 * (as many APIs echo an api_key). `/link-header/...`: the same as a Link header.
 */
const makeApi = (other: { origin: string }) =>
  recordingServer((request, res) => {
    const url = new URL(request.path, "http://x")
    const [, route] = url.pathname.split("/")
    if (route === "token") return reply(res, 200, { access_token: oauthToken, expires_in: 3600 })
    if (route === "moved") return reply(res, 302, undefined, { location: `${other.origin}/page/1` })
    if (route === "linked") return reply(res, 200, { data: [{ id: "a" }], next: `${other.origin}/page/1${url.search}` })
    if (route === "link-header") {
      return reply(res, 200, { data: [{ id: "a" }] }, { link: `<${other.origin}/page/1${url.search}>; rel="next"` })
    }
    if (route === "back") return reply(res, 200, { data: [{ id: "back" }], next: null })
    reply(res, 404, { error: "no such route" })
  })

/** The other origin: two pages linked absolutely (body and Link header); `/bounce` sends the client back to the API. */
const makeOther = (api: { origin: string }) =>
  recordingServer((request, res, self) => {
    const url = new URL(request.path, "http://x")
    if (url.pathname === "/bounce") return reply(res, 307, undefined, { location: `${api.origin}/back` })
    const n = Number(url.pathname.split("/")[2] ?? "1")
    const next = n < 2 ? `${self.origin}/page/${n + 1}` : null
    reply(res, 200, { data: [{ id: `b${n}` }], next }, next === null ? {} : { link: `<${next}>; rel="next"` })
  })

const twoOrigins = Effect.gen(function*() {
  const apiRef = { origin: "" }
  const otherRef = { origin: "" }
  const api = yield* makeApi(otherRef)
  const other = yield* makeOther(apiRef)
  apiRef.origin = api.origin
  otherRef.origin = other.origin
  return { api, other }
})

/** Every kind of credential, one resource each (the OAuth2 one is the client's own auth). */
const config = (apiOrigin: string, route: string, client: Record<string, unknown> = {}): RestApiConfigInput => ({
  client: {
    base_url: `${apiOrigin}/`,
    paginator: route === "link-header" ? { type: "header_link" } : { type: "json_link", next_url_path: "next" },
    auth: { type: "oauth2_client_credentials", access_token_url: `${apiOrigin}/token`, client_id: "id", client_secret: { secret: "CLIENT_SECRET" } },
    headers: { "X-Client-Secret": { secret: "HDR" }, Cookie: "session=s", "X-Plain": "visible" },
    ...client
  },
  resource_defaults: { endpoint: { data_selector: "data", params: { sig: { secret: "PARAM" }, limit: 5 } } },
  resources: [
    { name: "oauth", endpoint: { path: `${route}/oauth` } },
    { name: "bearer", endpoint: { path: `${route}/bearer`, auth: { type: "bearer", token: { secret: "TOKEN" } } } },
    { name: "header_key", endpoint: { path: `${route}/header`, auth: { type: "api_key", name: "X-Api-Key", api_key: { secret: "KEY" } } } },
    {
      name: "query_key",
      endpoint: { path: `${route}/query`, auth: { type: "api_key", name: "api_key", api_key: { secret: "KEY" }, location: "query" } }
    },
    {
      name: "cookie_key",
      endpoint: { path: `${route}/cookie`, auth: { type: "api_key", name: "key", api_key: { secret: "KEY" }, location: "cookie" } }
    },
    { name: "basic", endpoint: { path: `${route}/basic`, auth: { type: "http_basic", username: { secret: "USER" }, password: { secret: "PASS" } } } }
  ]
})

const resources = ["oauth", "bearer", "header_key", "query_key", "cookie_key", "basic"]

/** Runs every resource over one ApiClient (as a run does), collecting records and warnings. */
const runAll = (source: RestApiSource.RestApiSource) => {
  const warnings: Array<string> = []
  const capture = Logger.make(({ logLevel, message }) => {
    if (logLevel._tag === "Warning") warnings.push(String(message))
  })
  return Effect.gen(function*() {
    const records: Record<string, ReadonlyArray<unknown>> = {}
    for (const name of resources) {
      const out = yield* Stream.runCollect(source.records(name))
      records[name] = Chunk.toReadonlyArray(out).map((r) => r["id"])
    }
    return { records, warnings }
  }).pipe(Effect.provide(Live), Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
}

const make = (config: RestApiConfigInput) => RestApiSource.make(config).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(secrets)))

/** Nothing secret anywhere in what these requests carried, and no credential header at all. */
const expectNoCredentials = (seen: ReadonlyArray<Seen>) => {
  expect(seen.length).toBeGreaterThan(0)
  const wire = JSON.stringify(seen)
  for (const secret of everySecret) expect(wire, secret).not.toContain(secret)
  for (const request of seen) {
    expect(request.headers.authorization).toBeUndefined()
    expect(request.headers.cookie).toBeUndefined()
    expect(request.headers["x-api-key"]).toBeUndefined()
    expect(request.headers["x-client-secret"]).toBeUndefined()
    // What is not a credential still goes.
    expect(request.headers["x-plain"]).toBe("visible")
  }
}

describe("credentials stay with trusted origins", () => {
  it.live("a redirect to another origin carries no credential of any kind, with one warning for that origin", () =>
    Effect.scoped(Effect.gen(function*() {
      const { api, other } = yield* twoOrigins
      const source = yield* make(config(api.origin, "moved"))
      const { records, warnings } = yield* runAll(source)
      for (const name of resources) expect(records[name], name).toEqual(["b1", "b2"])
      expectNoCredentials(other.seen)
      // The API itself got them: the token, the key where auth puts it, the secret header and param.
      const first = (path: string) => api.seen.find((s) => s.path.startsWith(path))
      expect(first("/moved/oauth")?.headers.authorization).toBe(`Bearer ${oauthToken}`)
      expect(first("/moved/bearer")?.headers.authorization).toBe("Bearer tok-bearer-1")
      expect(first("/moved/header")?.headers["x-api-key"]).toBe("key-2")
      expect(first("/moved/query")?.path).toContain("api_key=key-2")
      expect(first("/moved/cookie")?.headers.cookie).toBe("session=s; key=key-2")
      expect(first("/moved/basic")?.headers.authorization).toBe(`Basic ${Buffer.from("user-3:pass-4").toString("base64")}`)
      expect(first("/moved/oauth")?.headers["x-client-secret"]).toBe("hdr-5")
      expect(first("/moved/oauth")?.path).toContain("sig=param-6")
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(`requests to ${other.origin} are sent without credentials`)
      expect(warnings[0]).toContain("client.trusted_origins")
      for (const secret of everySecret) expect(warnings[0]).not.toContain(secret)
    })))

  it.live("absolute next links to another origin (json_link, header_link) carry none either, echoed secret params dropped", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const route of ["linked", "link-header"]) {
        const { api, other } = yield* twoOrigins
        const { records, warnings } = yield* runAll(yield* make(config(api.origin, route)))
        for (const name of resources) expect(records[name], `${route} ${name}`).toEqual(["a", "b1", "b2"])
        expectNoCredentials(other.seen)
        // The echoed query lost what was secret and kept the rest.
        expect(other.seen[0].path).toBe("/page/1?limit=5")
        expect(warnings, route).toHaveLength(1)
      }
    })))

  it.live("an origin listed in client.trusted_origins gets the credentials, without a warning", () =>
    Effect.scoped(Effect.gen(function*() {
      const { api, other } = yield* twoOrigins
      const { records, warnings } = yield* runAll(yield* make(config(api.origin, "moved", { trusted_origins: [other.origin] })))
      for (const name of resources) expect(records[name], name).toEqual(["b1", "b2"])
      const firstOf = (name: string) => other.seen[resources.indexOf(name) * 2]
      expect(firstOf("oauth").headers.authorization).toBe(`Bearer ${oauthToken}`)
      expect(firstOf("bearer").headers.authorization).toBe("Bearer tok-bearer-1")
      expect(firstOf("header_key").headers["x-api-key"]).toBe("key-2")
      expect(firstOf("query_key").path).toContain("api_key=key-2")
      expect(firstOf("cookie_key").headers.cookie).toBe("session=s; key=key-2")
      expect(firstOf("basic").headers.authorization).toMatch(/^Basic /)
      expect(firstOf("oauth").headers["x-client-secret"]).toBe("hdr-5")
      expect(warnings).toEqual([])
    })))

  it.live("back on the API's origin after a hop elsewhere, the request is signed again", () =>
    Effect.scoped(Effect.gen(function*() {
      const { api, other } = yield* twoOrigins
      const source = yield* make({
        client: { base_url: `${api.origin}/`, auth: { type: "bearer", token: { secret: "TOKEN" } }, paginator: "single_page" },
        resources: [{ name: "bounced", endpoint: { path: `${other.origin}/bounce`, data_selector: "data" } }]
      })
      const warnings: Array<string> = []
      const capture = Logger.make(({ message }) => void warnings.push(String(message)))
      const records = yield* source.records("bounced").pipe(
        Stream.runCollect,
        Effect.provide(Live),
        Effect.provide(Logger.replace(Logger.defaultLogger, capture))
      )
      expect(Chunk.toReadonlyArray(records).map((r) => r["id"])).toEqual(["back"])
      expect(warnings).toEqual([expect.stringContaining(`resource 'bounced': requests to ${other.origin} are sent without credentials`)])
      expect(other.seen[0].headers.authorization).toBeUndefined()
      expect(api.seen.find((s) => s.path === "/back")?.headers.authorization).toBe("Bearer tok-bearer-1")
    })))

  it.live("values templated into a path are URL-encoded and stay inside it, under base_url", () =>
    Effect.scoped(Effect.gen(function*() {
      const ids = ["https://evil.example/x", "../admin", "a b?c=1#d", "50%/x:y", "plain-1"]
      const { api, other } = yield* twoOrigins
      const parents = yield* recordingServer((request, res) =>
        request.path === "/parents"
          ? reply(res, 200, ids.map((id) => ({ id })))
          : reply(res, 200, [{ child: request.path }])
      )
      const source = yield* make({
        client: { base_url: `${parents.origin}/v1/`, auth: { type: "bearer", token: { secret: "TOKEN" } }, paginator: "single_page" },
        resources: [
          { name: "parents", endpoint: { path: `${parents.origin}/parents` } },
          { name: "children", endpoint: { path: "parents/{resources.parents.id}/children", params: { of: "{resources.parents.id}" } } },
          // dlt's legacy form binds `{id}` in the path to the parent's field: encoded the same.
          { name: "legacy", endpoint: { path: "items/{id}", params: { id: { type: "resolve", resource: "parents", field: "id" } } } }
        ]
      })
      const children = yield* source.records("children").pipe(Stream.runCollect, Effect.provide(Live))
      expect(Chunk.toReadonlyArray(children).map((r) => r["child"])).toEqual([
        "/v1/parents/https%3A%2F%2Fevil.example%2Fx/children?of=https%3A%2F%2Fevil.example%2Fx",
        "/v1/parents/..%2Fadmin/children?of=..%2Fadmin",
        "/v1/parents/a%20b%3Fc%3D1%23d/children?of=a+b%3Fc%3D1%23d",
        "/v1/parents/50%25%2Fx%3Ay/children?of=50%25%2Fx%3Ay",
        "/v1/parents/plain-1/children?of=plain-1"
      ])
      const legacy = yield* source.records("legacy").pipe(Stream.runCollect, Effect.provide(Live))
      expect(Chunk.toReadonlyArray(legacy).map((r) => r["child"])).toEqual(
        ids.map((id) => `/v1/items/${encodeURIComponent(id)}`)
      )
      // Every request stayed on the API's origin, signed; nothing reached the other servers.
      expect(parents.seen.every((s) => s.headers.authorization === "Bearer tok-bearer-1")).toBe(true)
      expect([...api.seen, ...other.seen]).toEqual([])
    })))

  it.live("a path value of '.' or '..' fails the child, naming the placeholder", () =>
    Effect.scoped(Effect.gen(function*() {
      const parents = yield* recordingServer((request, res) =>
        request.path === "/parents" ? reply(res, 200, [{ id: ".." }]) : reply(res, 200, [{ child: request.path }])
      )
      const source = yield* make({
        client: { base_url: `${parents.origin}/v1/`, paginator: "single_page" },
        resources: [{ name: "parents", endpoint: { path: `${parents.origin}/parents` } }, { name: "children", endpoint: { path: "parents/{resources.parents.id}/children" } }]
      })
      const result = yield* Effect.either(source.records("children").pipe(Stream.runCollect, Effect.provide(Live)))
      assert(Either.isLeft(result) && result.left._tag === "ExtractError")
      expect(result.left.reason).toBe("Template")
      expect(result.left.message).toContain("resource 'children'")
      expect(result.left.message).toContain("{resources.parents.id} is '..', which would move the request up the URL path")
      expect(parents.seen.map((s) => s.path)).toEqual(["/parents"])
    })))

  it.effect("client.trusted_origins takes origins only", () =>
    Effect.gen(function*() {
      const result = yield* Effect.either(
        RestApiSource.make({
          client: { base_url: "https://api.example.com/", trusted_origins: ["https://api2.example.com", "https://cdn.example.com/files", "ftp://x.example"] },
          resources: ["items"]
        })
      )
      assert(Either.isLeft(result))
      expect(result.left.message).toContain("client.trusted_origins[1]: expected an origin like")
      expect(result.left.message).toContain("client.trusted_origins[2]")
      expect(result.left.message).not.toContain("client.trusted_origins[0]")
    }))
})
