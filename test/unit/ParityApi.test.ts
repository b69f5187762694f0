import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterEach } from "vitest"
import {
  customerIdOf,
  githubIssueAt,
  type ParityApi,
  ParityApiScoped,
  PARITY_GITHUB_OWNER,
  pokemonAt,
  startParityApi
} from "../support/parityApi.js"

const started: Array<ParityApi> = []
const start = async (options?: Parameters<typeof startParityApi>[0]) => {
  const api = await startParityApi(options)
  started.push(api)
  return api
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((api) => api.close()))
})

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const bodyOf = async (res: Response): Promise<unknown> => {
  const text = await res.text()
  return text === "" ? undefined : JSON.parse(text)
}

const objectOf = async (res: Response): Promise<Record<string, unknown>> => {
  const body = await bodyOf(res)
  if (!isObject(body)) throw new Error(`not an object: ${JSON.stringify(body)}`)
  return body
}

const arrayOf = async (res: Response): Promise<ReadonlyArray<unknown>> => {
  const body = await bodyOf(res)
  if (!Array.isArray(body)) throw new Error(`not an array: ${JSON.stringify(body)}`)
  return body
}

const listAt = (o: Record<string, unknown>, key: string): ReadonlyArray<unknown> => {
  const v = o[key]
  if (!Array.isArray(v)) throw new Error(`${key} is not a list`)
  return v
}

const field = (u: unknown, key: string): unknown => (isObject(u) ? u[key] : undefined)

/** Parses an RFC 8288 Link header into rel → URL. */
const parseLink = (header: string | null): Record<string, string> => {
  const out: Record<string, string> = {}
  if (header === null) return out
  for (const part of header.split(",")) {
    const m = /^\s*<([^>]+)>;\s*rel="([^"]+)"\s*$/.exec(part)
    if (m === null) throw new Error(`bad Link part: ${part}`)
    out[m[2]] = m[1]
  }
  return out
}

describe("ParityApi: GitHub", () => {
  const gh = (api: ParityApi, path: string, token: string | null = api.githubToken) =>
    fetch(new URL(path, api.bases.github), { headers: token === null ? {} : { Authorization: `Bearer ${token}` } })

  it("requires the bearer token", async () => {
    const api = await start()
    const none = await gh(api, "user/repos", null)
    assert.strictEqual(none.status, 401)
    assert.deepStrictEqual(await bodyOf(none), { message: "Bad credentials" })
    const wrong = await gh(api, "user/repos", "nope")
    assert.strictEqual(wrong.status, 401)
    const ok = await gh(api, "user/repos")
    assert.strictEqual(ok.status, 200)
    assert.strictEqual(ok.headers.get("x-ratelimit-remaining"), "4997")
    assert.match(ok.headers.get("x-ratelimit-reset") ?? "", /^\d{10}$/)
  })

  it("pages repos with absolute Link URLs", async () => {
    const api = await start()
    const first = await gh(api, "user/repos?per_page=3&page=1")
    const links = parseLink(first.headers.get("link"))
    assert.strictEqual(links.next, `${api.baseUrl}/github/user/repos?per_page=3&page=2`)
    assert.strictEqual(links.last, `${api.baseUrl}/github/user/repos?per_page=3&page=3`)
    assert.isUndefined(links.prev)
    const repos = await arrayOf(first)
    assert.deepStrictEqual(repos[0], {
      id: 1001,
      name: "repo-1",
      full_name: `${PARITY_GITHUB_OWNER}/repo-1`,
      owner: { login: PARITY_GITHUB_OWNER },
      updated_at: "2024-06-01T12:00:00Z"
    })
    // follow next until it disappears
    const names: Array<unknown> = []
    let url: string | undefined = `${api.bases.github}user/repos?per_page=3`
    let pages = 0
    while (url !== undefined) {
      const res = await gh(api, url)
      pages++
      for (const r of await arrayOf(res)) names.push(field(r, "name"))
      url = parseLink(res.headers.get("link")).next
    }
    assert.strictEqual(pages, 3)
    assert.deepStrictEqual(names, ["repo-1", "repo-2", "repo-3", "repo-4", "repo-5", "repo-6", "repo-7"])
    const last = await gh(api, "user/repos?per_page=3&page=3")
    const lastLinks = parseLink(last.headers.get("link"))
    assert.isUndefined(lastLinks.next)
    assert.strictEqual(lastLinks.prev, `${api.baseUrl}/github/user/repos?per_page=3&page=2`)
    // everything on one page: no Link header
    const all = await gh(api, "user/repos")
    assert.isNull(all.headers.get("link"))
    assert.strictEqual((await arrayOf(all)).length, 7)
  })

  it("pages and filters issues, keeps query params in links, 404s the missing repo", async () => {
    const api = await start()
    const owner = PARITY_GITHUB_OWNER
    const res = await gh(api, `repos/${owner}/repo-7/issues?per_page=5&state=all&since=2024-01-10T00:00:00Z`)
    assert.strictEqual(res.status, 200)
    const links = parseLink(res.headers.get("link"))
    const next = new URL(links.next)
    assert.strictEqual(next.searchParams.get("since"), "2024-01-10T00:00:00Z")
    assert.strictEqual(next.searchParams.get("state"), "all")
    assert.strictEqual(next.searchParams.get("page"), "2")
    // repo 7 has 21 issues; updated_at = 2024-01-(1+n)T07:00Z, so since Jan 10 keeps n >= 9 → 13 issues
    const all: Array<unknown> = []
    let url: string | undefined = res.url
    while (url !== undefined) {
      const page = await gh(api, url)
      all.push(...(await arrayOf(page)))
      url = parseLink(page.headers.get("link")).next
    }
    assert.strictEqual(all.length, 13)
    assert.deepStrictEqual(all[0], githubIssueAt(7, 21)) // default order: created desc
    for (const i of all) assert.isTrue(String(field(i, "updated_at")) >= "2024-01-10T00:00:00Z")
    // default state=open drops every third issue
    const open = await arrayOf(await gh(api, `repos/${owner}/repo-2/issues`))
    assert.deepStrictEqual(open.map((i) => field(i, "number")), [5, 4, 2, 1])
    const asc = await arrayOf(await gh(api, `repos/${owner}/repo-2/issues?state=all&sort=updated&direction=asc`))
    assert.deepStrictEqual(asc.map((i) => field(i, "number")), [1, 2, 3, 4, 5, 6])
    assert.deepStrictEqual(field(asc[1], "labels"), [{ name: "bug" }])
    const missing = await gh(api, `repos/${owner}/repo-3/issues?state=all`)
    assert.strictEqual(missing.status, 404)
    assert.deepStrictEqual(await bodyOf(missing), { message: "Not Found" })
    assert.strictEqual((await gh(api, `repos/${owner}/repo-99/issues`)).status, 404)
    assert.strictEqual((await gh(api, `repos/${owner}/repo-1/issues?since=yesterday`)).status, 422)
  })

  it("touches and adds issues", async () => {
    const api = await start()
    api.touchIssues("repo-1", [1], "2025-01-01T00:00:00Z", true)
    api.addIssues("repo-1", 2)
    const got = await arrayOf(await gh(api, `repos/${PARITY_GITHUB_OWNER}/repo-1/issues?state=all&since=2024-06-01T00:00:00Z`))
    assert.deepStrictEqual(got.map((i) => field(i, "number")), [5, 4, 1])
    assert.strictEqual(field(got[2], "state"), "closed")
    assert.strictEqual(field(got[2], "updated_at"), "2025-01-01T00:00:00Z")
    assert.strictEqual(field(got[0], "updated_at"), "2025-01-01T02:00:00Z")
  })
})

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

describe("ParityApi: incremental orders", () => {
  const fetchAll = async (api: ParityApi, path: string, query: string) => {
    const out: Array<Record<string, unknown>> = []
    for (let page = 1; ; page++) {
      const body = await objectOf(await fetch(`${api.bases.inc}${path}?page=${page}${query}`))
      for (const o of listAt(body, "orders")) if (isObject(o)) out.push(o)
      if (typeof body.total_pages !== "number" || page >= body.total_pages) return out
    }
  }

  it("filters server side by updated_since; the noparam twin ignores it", async () => {
    const api = await start({ orders: 30 })
    const all = await fetchAll(api, "orders", "")
    assert.strictEqual(all.length, 30)
    assert.deepStrictEqual(all[0], { id: 1, status: "paid", updated_at: "2024-03-01T01:00:00Z", amount: 12.35 })
    const since = "&updated_since=2024-03-01T25:00:00Z" // invalid
    assert.strictEqual((await fetch(`${api.bases.inc}orders?page=1${since}`)).status, 400)
    const recent = await fetchAll(api, "orders", "&updated_since=2024-03-02T00:00:00Z")
    assert.deepStrictEqual(recent.map((o) => o.id), [24, 25, 26, 27, 28, 29, 30])
    const ignored = await fetchAll(api, "orders_noparam", "&updated_since=2024-03-02T00:00:00Z")
    assert.strictEqual(ignored.length, 30)
  })

  it("touchOrders and addOrders move records past the cursor", async () => {
    const api = await start({ orders: 30 })
    api.touchOrders([3, 5], "2024-04-01T00:00:00Z")
    const added = api.addOrders(2)
    assert.deepStrictEqual(added.map((o) => o.updated_at), ["2024-04-01T01:00:00Z", "2024-04-01T02:00:00Z"])
    const changed = await fetchAll(api, "orders", "&updated_since=2024-03-15T00:00:00Z")
    assert.deepStrictEqual(changed.map((o) => o.id), [3, 5, 31, 32])
    assert.deepStrictEqual(changed.map((o) => o.status), ["paid", "delivered", "pending", "pending"])
    api.resetData()
    assert.strictEqual(api.orders().length, 30)
  })
})

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
