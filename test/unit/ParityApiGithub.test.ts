import { assert, describe, it } from "@effect/vitest"
import { githubIssueAt, type ParityApi, PARITY_GITHUB_OWNER } from "../support/parityApi.js"
import { arrayOf, bodyOf, field, parseLink, useParityApi } from "../support/parityClient.js"

const start = useParityApi()

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
