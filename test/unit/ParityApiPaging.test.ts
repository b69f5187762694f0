import { assert, describe, it } from "@effect/vitest"
import { customerIdOf, type ParityApi, pokemonAt } from "../support/parityApi.js"
import { arrayOf, bodyOf, field, listAt, objectOf, useParityApi } from "../support/parityClient.js"

const start = useParityApi()

describe("ParityApi: PokeAPI", () => {
  it("follows absolute next URLs and serves details", async () => {
    const api = await start({ pokemon: 45 })
    const names: Array<unknown> = []
    let url: unknown = `${api.bases.pokeapi}pokemon?limit=20`
    let pages = 0
    while (typeof url === "string") {
      const page = await objectOf(await fetch(url))
      pages++
      assert.strictEqual(page.count, 45)
      for (const r of listAt(page, "results")) names.push(field(r, "name"))
      url = page.next
    }
    assert.strictEqual(pages, 3)
    assert.strictEqual(names.length, 45)
    assert.strictEqual(names[0], "bulbasaur")
    const second = await objectOf(await fetch(`${api.bases.pokeapi}pokemon?offset=20&limit=20`))
    assert.strictEqual(second.next, `${api.baseUrl}/pokeapi/pokemon?offset=40&limit=20`)
    assert.strictEqual(second.previous, `${api.baseUrl}/pokeapi/pokemon?offset=0&limit=20`)
    assert.strictEqual(field(listAt(second, "results")[0], "url"), `${api.baseUrl}/pokeapi/pokemon/21/`)
    const detail = await bodyOf(await fetch(`${api.bases.pokeapi}pokemon/charmander`))
    assert.deepStrictEqual(detail, pokemonAt(4))
    assert.deepStrictEqual(await bodyOf(await fetch(`${api.bases.pokeapi}pokemon/4/`)), pokemonAt(4))
    const unknown = await fetch(`${api.bases.pokeapi}pokemon/missingno`)
    assert.strictEqual(unknown.status, 404)
    assert.strictEqual(await unknown.text(), "Not Found")
  })
})

describe("ParityApi: Stripe", () => {
  it("pages with starting_after until has_more is false", async () => {
    const api = await start({ customers: 25 })
    const ids: Array<unknown> = []
    let after: string | undefined
    let pages = 0
    for (;;) {
      const q = after === undefined ? "" : `&starting_after=${after}`
      const page = await objectOf(await fetch(`${api.bases.stripe}customers?limit=10${q}`))
      pages++
      assert.strictEqual(page.object, "list")
      const data = listAt(page, "data")
      for (const c of data) ids.push(field(c, "id"))
      if (page.has_more !== true) break
      after = String(field(data[data.length - 1], "id"))
    }
    assert.strictEqual(pages, 3)
    assert.strictEqual(ids.length, 25)
    assert.strictEqual(ids[0], "cus_000001")
    assert.strictEqual(ids[24], customerIdOf(25))
    const bad = await fetch(`${api.bases.stripe}customers?starting_after=cus_999999`)
    assert.strictEqual(bad.status, 400)
  })

  it("requires the secret key when configured (bearer or basic)", async () => {
    const api = await start({ stripeSecretKey: "sk_test_1" })
    assert.strictEqual((await fetch(`${api.bases.stripe}customers`)).status, 401)
    const bearer = await fetch(`${api.bases.stripe}customers`, { headers: { Authorization: "Bearer sk_test_1" } })
    assert.strictEqual(bearer.status, 200)
    const basic = await fetch(`${api.bases.stripe}customers`, {
      headers: { Authorization: `Basic ${Buffer.from("sk_test_1:").toString("base64")}` }
    })
    assert.strictEqual(basic.status, 200)
  })
})

describe("ParityApi: header cursor", () => {
  it("puts the next cursor in X-Next-Cursor, absent on the last page", async () => {
    const api = await start({ events: 23 })
    const ids: Array<unknown> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const q: string = cursor === null ? "" : `?cursor=${encodeURIComponent(cursor)}`
      const res = await fetch(`${api.bases.headercursor}events${q}`)
      pages++
      for (const e of await arrayOf(res)) ids.push(field(e, "id"))
      cursor = res.headers.get("x-next-cursor")
    } while (cursor !== null)
    assert.strictEqual(pages, 3)
    assert.strictEqual(ids.length, 23)
    assert.strictEqual(ids[22], "evt_00023")
    assert.strictEqual((await fetch(`${api.bases.headercursor}events?cursor=garbage`)).status, 400)
  })
})

describe("ParityApi: POST search", () => {
  const post = (api: ParityApi, body: string, contentType = "application/json") =>
    fetch(`${api.bases.search}items`, { method: "POST", headers: { "Content-Type": contentType }, body })

  it("pages by page.number in the body and filters by query", async () => {
    const api = await start({ searchItems: 37 })
    const ids: Array<unknown> = []
    for (let n = 1; ; n++) {
      const page = await objectOf(await post(api, JSON.stringify({ query: {}, page: { number: n, size: 10 } })))
      for (const i of listAt(page, "items")) ids.push(field(i, "id"))
      assert.strictEqual(page.total_pages, 4)
      if (n >= 4) break
    }
    assert.strictEqual(ids.length, 37)
    const books = await objectOf(await post(api, JSON.stringify({ query: { category: "books" }, page: { number: 1, size: 5 } })))
    assert.strictEqual(books.total_pages, 3) // i % 3 == 0 → 12 items
    for (const i of listAt(books, "items")) assert.strictEqual(field(i, "category"), "books")
    const log = api.log().filter((r) => r.path === "/search/items")
    assert.deepStrictEqual(log[0].body, { query: {}, page: { number: 1, size: 10 } })
    assert.strictEqual(log[0].headers["content-type"], "application/json")
  })

  it("rejects GET, bad JSON, bad shapes and non-JSON bodies", async () => {
    const api = await start()
    const get = await fetch(`${api.bases.search}items`)
    assert.strictEqual(get.status, 405)
    assert.strictEqual(get.headers.get("allow"), "POST")
    assert.strictEqual((await post(api, "{not json")).status, 400)
    assert.strictEqual((await post(api, JSON.stringify({ page: { number: 0 } }))).status, 400)
    assert.strictEqual((await post(api, JSON.stringify([1]))).status, 400)
    assert.strictEqual((await post(api, "a=1", "application/x-www-form-urlencoded")).status, 415)
    const empty = await objectOf(await post(api, "{}"))
    assert.strictEqual(listAt(empty, "items").length, 10)
  })
})
