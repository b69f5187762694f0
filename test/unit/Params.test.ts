/** `{params.NAME}` in a config's strings, `--params` parsing, and the secrets table's cipher. */
import { describe, expect, it } from "@effect/vitest"
import { Config, Either, Redacted } from "effect"
import * as Secrets from "../../src/internal/cluster/tenantSecrets.js"
import { applyParams, parseParams } from "../../src/internal/config/params.js"

describe("params", () => {
  it("--params reads NAME=value pairs; a value may hold '='", () => {
    expect(parseParams("account=a1, region=eu,filter=x=y")).toEqual(Either.right({ account: "a1", region: "eu", filter: "x=y" }))
    expect(Either.isLeft(parseParams("account"))).toBe(true)
    expect(Either.isLeft(parseParams("1x=2"))).toBe(true)
    expect(parseParams("")).toEqual(Either.right({}))
  })

  it("fills every string of plain objects and arrays, and names the path of a param not given", () => {
    const steps = [{ map: (r: unknown) => r }]
    const secret = Config.redacted("API_TOKEN")
    const input = {
      client: { base_url: "https://{params.region}.example.com/v1", auth: { type: "bearer", token: secret } },
      resources: [{ name: "items", processing_steps: steps, endpoint: { path: "accounts/{params.account}/items", params: { since: "{incremental.start_value}" } } }]
    }
    const filled = applyParams(input, { region: "eu", account: "a1" })
    expect(filled).toEqual(Either.right({
      client: { base_url: "https://eu.example.com/v1", auth: { type: "bearer", token: secret } },
      resources: [{ name: "items", processing_steps: steps, endpoint: { path: "accounts/a1/items", params: { since: "{incremental.start_value}" } } }]
    }))
    // Functions and Config values are passed on as they are, not copied.
    if (Either.isRight(filled)) expect(JSON.stringify(filled.right)).not.toContain("params.")
    expect(applyParams(input, { region: "eu" })).toEqual(Either.left([
      { path: "resources[0].endpoint.path", message: "{params.account} is not given (submit --params account=...)" }
    ]))
    expect(applyParams({ a: "x" }, { bad: "{oops}" })).toEqual(Either.left([{ path: "params.bad", message: "a param's value cannot contain '{' or '}'" }]))
  })
})

describe("the secrets table's cipher", () => {
  const key = Redacted.make("passphrase")
  it("a value decrypts only with its key, its tenant and its name", () => {
    const stored = Secrets.encrypt(key, "acme", "API_TOKEN", "s3cret")
    expect(stored.includes(Buffer.from("s3cret"))).toBe(false)
    expect(Secrets.decrypt(key, "acme", "API_TOKEN", stored)).toBe("s3cret")
    expect(Secrets.decrypt(Redacted.make("other"), "acme", "API_TOKEN", stored)).toBeUndefined()
    expect(Secrets.decrypt(key, "globex", "API_TOKEN", stored)).toBeUndefined()
    expect(Secrets.decrypt(key, "acme", "OTHER", stored)).toBeUndefined()
    // A fresh IV each time: the same value never stores the same bytes twice.
    expect(Secrets.encrypt(key, "acme", "API_TOKEN", "s3cret").equals(stored)).toBe(false)
  })
})

describe("params on hostile configs", () => {
  it("a config nested past the depth limit, or with an own __proto__ key, passes through unharmed", () => {
    let deep: unknown = "{params.x}"
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(Either.isRight(applyParams({ json: deep }, {}))).toBe(true)
    const hostile: unknown = JSON.parse(`{"resources": [{"__proto__": {"polluted": true}, "name": "{params.n}"}]}`)
    const filled = applyParams(hostile, { n: "items" })
    expect(JSON.stringify(Either.getOrThrow(filled))).toBe(`{"resources":[{"__proto__":{"polluted":true},"name":"items"}]}`)
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })
})
