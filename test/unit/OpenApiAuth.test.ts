/**
 * detectAuth (issue 15, item 4): each security scheme kind from a hand-written model, each
 * guess put into a minimal config that our config decoding takes with its secrets given through
 * a ConfigProvider; the scheme most GET operations accept; then the real documents.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { type AuthGuess, detectAuth, secretPrefix } from "../../src/internal/openapi/detectAuth.js"
import type { ApiModel, SecurityRequirement, SecurityScheme } from "../../src/internal/openapi/model.js"
import { makeSource, minimalConfig } from "../support/guessConfig.js"
import { githubDocument, loadDocument, model, oasExample, oasExamples, op } from "../support/openapiFixtures.js"

/** A model whose one GET operation (and the document) requires `scheme`. */
const requiring = (scheme: SecurityScheme, requirement: SecurityRequirement = { main: [] }): ApiModel =>
  model({ securitySchemes: { main: scheme }, security: [requirement], operations: [op([])] })

/** The guess in a minimal config, decoded and resolved with its secrets set (`<NAME>-value`). */
const source = (guess: AuthGuess) => makeSource(minimalConfig(undefined, guess), guess.secrets)

const value = (secret: unknown) => (Redacted.isRedacted(secret) ? Redacted.value(secret) : secret)

describe("detectAuth: each scheme kind", () => {
  it.effect("http bearer → bearer with ACME_TOKEN", () =>
    Effect.gen(function*() {
      const guess = detectAuth(requiring({ type: "http", scheme: "bearer" }), "Acme")
      expect(guess.auth).toEqual({ type: "bearer", token: { secret: "ACME_TOKEN" } })
      expect(guess.secrets).toEqual(["ACME_TOKEN"])
      const auth = (yield* source(guess)).client.auth
      assert(auth?._tag === "Bearer")
      expect(value(auth.token)).toBe("ACME_TOKEN-value")
    }))

  it.effect("http basic (any case) → http_basic with _USERNAME and _PASSWORD", () =>
    Effect.gen(function*() {
      const guess = detectAuth(requiring({ type: "http", scheme: "Basic" }), "acme")
      expect(guess.auth).toEqual({ type: "http_basic", username: { secret: "ACME_USERNAME" }, password: { secret: "ACME_PASSWORD" } })
      expect(guess.secrets).toEqual(["ACME_USERNAME", "ACME_PASSWORD"])
      const auth = (yield* source(guess)).client.auth
      assert(auth?._tag === "HttpBasic")
      expect(value(auth.password)).toBe("ACME_PASSWORD-value")
    }))

  it.effect("apiKey in a header, the query and a cookie (our api_key takes all three)", () =>
    Effect.gen(function*() {
      for (const where of ["header", "query", "cookie"] as const) {
        const guess = detectAuth(requiring({ type: "apiKey", name: "X-Api-Key", in: where }), "stripe")
        expect(guess.auth).toEqual({ type: "api_key", name: "X-Api-Key", api_key: { secret: "STRIPE_API_KEY" }, location: where })
        const auth = (yield* source(guess)).client.auth
        assert(auth?._tag === "ApiKey")
        expect(auth.location).toBe(where)
        expect(auth.name).toBe("X-Api-Key")
      }
    }))

  it("an apiKey in the Authorization header says the value goes as it is", () => {
    const guess = detectAuth(requiring({ type: "apiKey", name: "Authorization", in: "header" }), "acme")
    expect(guess.notes.join("\n")).toMatch(/include any prefix/)
  })

  it.effect("oauth2 client credentials: token URL (relative ones resolved), client id/secret, the requirement's scopes", () =>
    Effect.gen(function*() {
      const scheme: SecurityScheme = {
        type: "oauth2",
        clientCredentialsTokenUrl: "/oauth/token",
        flows: ["authorizationCode", "clientCredentials"],
        scopes: ["read", "write"]
      }
      const guess = detectAuth(requiring(scheme, { main: ["read"] }), "acme")
      expect(guess.auth).toEqual({
        type: "oauth2_client_credentials",
        access_token_url: "https://api.test/oauth/token",
        client_id: { secret: "ACME_CLIENT_ID" },
        client_secret: { secret: "ACME_CLIENT_SECRET" },
        access_token_request_data: { scope: "read" }
      })
      expect(guess.secrets).toEqual(["ACME_CLIENT_ID", "ACME_CLIENT_SECRET"])
      const auth = (yield* source(guess)).client.auth
      assert(auth?._tag === "OAuth2ClientCredentials")
      expect(auth.accessTokenUrl).toBe("https://api.test/oauth/token")
      expect(value(auth.clientSecret)).toBe("ACME_CLIENT_SECRET-value")
    }))

  it.effect("oauth2 without client credentials: a bearer access token, with a note", () =>
    Effect.gen(function*() {
      const guess = detectAuth(requiring({ type: "oauth2", clientCredentialsTokenUrl: undefined, flows: ["authorizationCode"], scopes: [] }), "acme")
      expect(guess.auth).toEqual({ type: "bearer", token: { secret: "ACME_ACCESS_TOKEN" } })
      expect(guess.notes.join("\n")).toMatch(/without a client credentials flow \(authorizationCode\)/)
      yield* source(guess)
    }))

  it("openIdConnect, mutualTLS and HTTP digest: no auth, a note saying so", () => {
    for (const scheme of [{ type: "openIdConnect" }, { type: "mutualTLS" }, { type: "http", scheme: "digest" }] as const) {
      const guess = detectAuth(requiring(scheme), "acme")
      expect(guess.auth).toBeUndefined()
      expect(guess.secrets).toEqual([])
      expect(guess.notes.join("\n")).toMatch(/does not support: set auth yourself/)
    }
  })

  it.effect("no security at all: no auth, and the config still decodes", () =>
    Effect.gen(function*() {
      const guess = detectAuth(model({ operations: [op([])] }), "acme")
      expect(guess).toEqual({ auth: undefined, secrets: [], notes: ["the document defines no security: no auth"] })
      yield* source(guess)
    }))
})

describe("detectAuth: which scheme", () => {
  const schemes: Record<string, SecurityScheme> = {
    key: { type: "apiKey", name: "key", in: "query" },
    token: { type: "http", scheme: "bearer" },
    oidc: { type: "openIdConnect" }
  }

  it("the one most GET operations accept, operations' own security over the document's", () => {
    const m = model({
      securitySchemes: schemes,
      security: [{ oidc: [] }],
      operations: [
        op([], {}, { security: [{ key: [] }] }),
        op([], {}, { security: [{ key: [] }, { token: [] }] }),
        op([]),
        op([], {}, { method: "post", security: [{ token: [] }] }),
        op([], {}, { method: "delete", security: [{ token: [] }] })
      ]
    })
    const guess = detectAuth(m, "acme")
    expect(guess.auth).toMatchObject({ type: "api_key", name: "key", location: "query" })
    expect(guess.notes[0]).toBe("security scheme 'key' (accepted by 2 of 3 GET operations); other schemes accepted: token, oidc")
  })

  it("equally common: the one our config supports best (bearer over an api key over openIdConnect); anonymous access noted", () => {
    const m = model({ securitySchemes: schemes, operations: [op([], {}, { security: [{ oidc: [] }, { key: [] }, { token: [] }, {}] })] })
    const guess = detectAuth(m, "acme")
    expect(guess.auth).toEqual({ type: "bearer", token: { secret: "ACME_TOKEN" } })
    expect(guess.notes).toContain("1 of 1 operations also accept no credentials")
  })

  it("schemes required together: the first one, the others in a note", () => {
    const m = model({ securitySchemes: schemes, operations: [op([], {}, { security: [{ token: [], key: [] }] })] })
    expect(detectAuth(m, "acme").notes.join("\n")).toMatch(/'token' is required together with 'key'/)
  })

  it("schemes defined but never required: the only one is used, several are left to the user", () => {
    expect(detectAuth(model({ securitySchemes: { token: schemes.token ?? { type: "unknown" } } }), "acme").auth)
      .toEqual({ type: "bearer", token: { secret: "ACME_TOKEN" } })
    const several = detectAuth(model({ securitySchemes: schemes }), "acme")
    expect(several.auth).toBeUndefined()
    expect(several.notes[0]).toMatch(/3 security schemes are defined .* but no operation requires one/)
  })

  it("secret names: UPPER_SNAKE of the API's name", () => {
    expect(secretPrefix("GitHub")).toBe("GITHUB")
    expect(secretPrefix("train-travel")).toBe("TRAIN_TRAVEL")
    expect(secretPrefix("  My API v2 ")).toBe("MY_API_V2")
    expect(secretPrefix("3scale")).toBe("API_3SCALE")
    expect(secretPrefix("---")).toBe("API")
  })
})

describe("detectAuth on real documents", () => {
  it("GitHub's description defines no security: no auth", () => {
    expect(detectAuth(loadDocument(githubDocument), "github").auth).toBeUndefined()
  })

  it("train-travel (3.1): OAuth2 authorization code only → a bearer access token", () => {
    const guess = detectAuth(loadDocument(oasExample("3.1", "train-travel")), "train-travel")
    expect(guess.auth).toEqual({ type: "bearer", token: { secret: "TRAIN_TRAVEL_ACCESS_TOKEN" } })
  })

  it("petstore (2.0, 3.0, 3.1): the api_key header most GETs accept; security (3.0): the query key", () => {
    for (const version of ["2.0", "3.0", "3.1"] as const) {
      expect(detectAuth(loadDocument(oasExample(version, "petstore")), "petstore").auth)
        .toEqual({ type: "api_key", name: "api_key", api_key: { secret: "PETSTORE_API_KEY" }, location: "header" })
    }
    expect(detectAuth(loadDocument(oasExample("3.0", "security")), "security").auth)
      .toMatchObject({ type: "api_key", name: "apiKey", location: "query" })
  })

  it.effect("every document's guess decodes as our config with its secrets", () =>
    Effect.gen(function*() {
      const types = new Set<string>()
      for (const file of [githubDocument, ...oasExamples()]) {
        const guess = detectAuth(loadDocument(file), file.split("/").pop()?.replace(/\.json$/, "") ?? "api")
        types.add(String(guess.auth?.type ?? "none"))
        yield* source(guess)
      }
      expect([...types].sort()).toEqual(["api_key", "bearer", "http_basic", "none"])
    }), 60_000)
})
