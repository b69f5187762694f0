import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ParityApiScoped } from "../support/parityApi.js"
import { arrayOf, bodyOf, objectOf, useParityApi } from "../support/parityClient.js"

// Server-wide behaviour: the flaky style, counters, the log, injected failures, the scoped form.
// Each style has a test file of its own: ParityApiGithub, ParityApiPaging, ParityApiOauth, ParityApiOrders.
const start = useParityApi()

describe("ParityApi: flaky and counters", () => {
  it("answers 200 with an error body the first N times", async () => {
    const api = await start({ flakyFailures: 2, flakyItems: 3 })
    const url = `${api.bases.flaky}items`
    const a = await fetch(url)
    assert.strictEqual(a.status, 200)
    assert.deepStrictEqual(await bodyOf(a), { error: "temporarily unavailable" })
    assert.deepStrictEqual(await bodyOf(await fetch(url)), { error: "temporarily unavailable" })
    const ok = await objectOf(await fetch(url))
    assert.deepStrictEqual(ok, { data: [{ id: 1, value: "value 1" }, { id: 2, value: "value 2" }, { id: 3, value: "value 3" }] })
    assert.strictEqual(api.stats().flakyErrors, 2)
    api.setFlakyFailures(1)
    assert.deepStrictEqual(await bodyOf(await fetch(url)), { error: "temporarily unavailable" })
  })

  it("counts requests per path, per method, logs them and resets", async () => {
    const api = await start()
    await fetch(`${api.bases.pokeapi}pokemon?limit=5`)
    await fetch(`${api.bases.pokeapi}pokemon?limit=5&offset=5`)
    await fetch(`${api.bases.search}items`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
    const stats = api.stats()
    assert.strictEqual(stats.total, 3)
    assert.deepStrictEqual(stats.byPath, { "/pokeapi/pokemon": 2, "/search/items": 1 })
    assert.deepStrictEqual(stats.byMethod, { GET: 2, POST: 1 })
    const log = api.log()
    assert.strictEqual(log.length, 3)
    assert.deepStrictEqual(log[1].query, { limit: "5", offset: "5" })
    assert.strictEqual(log[1].search, "?limit=5&offset=5")
    assert.strictEqual(log[1].status, 200)
    assert.isString(log[1].headers["user-agent"] ?? log[1].headers["host"])
    api.failNext("/pokeapi/pokemon", 503, 1)
    assert.strictEqual((await fetch(`${api.bases.pokeapi}pokemon`)).status, 503)
    assert.strictEqual((await fetch(`${api.bases.pokeapi}pokemon`)).status, 200)
    api.resetLog()
    assert.strictEqual(api.stats().total, 0)
    assert.deepStrictEqual(api.stats().byPath, {})
    assert.strictEqual(api.log().length, 0)
    assert.strictEqual((await fetch(`${api.baseUrl}/nowhere`)).status, 404)
  })

  it.scoped("is available as a scoped resource", () =>
    Effect.gen(function*() {
      const api = yield* ParityApiScoped({ repos: 2 })
      const res = yield* Effect.promise(() =>
        fetch(`${api.bases.github}user/repos`, { headers: { Authorization: `Bearer ${api.githubToken}` } })
      )
      const repos = yield* Effect.promise(() => arrayOf(res))
      assert.strictEqual(repos.length, 2)
    }))
})
