import { assert, describe, it } from "@effect/vitest"
import type { ParityApi } from "../support/parityApi.js"
import { field, listAt, objectOf, useParityApi } from "../support/parityClient.js"

const start = useParityApi()

describe("ParityApi: OAuth2", () => {
  const token = (api: ParityApi, form: Record<string, string>) =>
    fetch(api.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString()
    })
  const creds = (api: ParityApi) => ({
    grant_type: "client_credentials",
    client_id: api.oauthClientId,
    client_secret: api.oauthClientSecret
  })

  it("issues tokens and protects the API with them", async () => {
    const api = await start({ oauthExpiresIn: 120, things: 12 })
    assert.strictEqual((await token(api, { ...creds(api), client_secret: "wrong" })).status, 401)
    assert.strictEqual((await token(api, { ...creds(api), grant_type: "password" })).status, 400)
    const tok = await objectOf(await token(api, creds(api)))
    assert.strictEqual(tok.token_type, "bearer")
    assert.strictEqual(tok.expires_in, 120)
    assert.isString(tok.access_token)
    const things = (page: number, t: unknown) =>
      fetch(`${api.bases.oauth}api/things?page=${page}`, { headers: { Authorization: `Bearer ${String(t)}` } })
    assert.strictEqual((await fetch(`${api.bases.oauth}api/things`)).status, 401)
    assert.strictEqual((await things(1, "forged")).status, 401)
    const ids: Array<unknown> = []
    let page: unknown = 1
    while (typeof page === "number") {
      const body = await objectOf(await things(page, tok.access_token))
      for (const t of listAt(body, "data")) ids.push(field(t, "id"))
      page = body.next_page
    }
    assert.deepStrictEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    api.expireTokens()
    assert.strictEqual((await things(1, tok.access_token)).status, 401)
    const stats = api.stats()
    assert.strictEqual(stats.tokenRequests, 3)
    assert.strictEqual(stats.tokensIssued, 1)
    const logged = api.log().find((r) => r.path === "/oauth/token" && r.status === 200)
    assert.deepStrictEqual(logged?.body, creds(api))
  })

  it("expires tokens after the configured lifetime", async () => {
    const api = await start({ oauthExpiresIn: 1, oauthTokenLifetime: 0 })
    const tok = await objectOf(await token(api, creds(api)))
    const res = await fetch(`${api.bases.oauth}api/things`, { headers: { Authorization: `Bearer ${String(tok.access_token)}` } })
    assert.strictEqual(res.status, 401)
    assert.strictEqual(tok.expires_in, 1)
  })
})
