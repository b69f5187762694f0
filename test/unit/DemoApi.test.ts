import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { afterEach } from "vitest"
import {
  appointmentLinkAt,
  codeSnippetAt,
  DEMO_ENDPOINTS,
  DEMO_RESOURCES,
  DEMO_TOKEN,
  type DemoApi,
  DemoApiScoped,
  type DemoResource,
  encodeCursor,
  insightsReportAt,
  lastChange,
  recordAt,
  startDemoApi
} from "../../src/cli/demo/demoApi.js"

const started: Array<DemoApi> = []
const start = async (options?: Parameters<typeof startDemoApi>[0]) => {
  const api = await startDemoApi(options)
  started.push(api)
  return api
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((api) => api.close()))
})

interface Page {
  readonly records: ReadonlyArray<unknown>
  readonly next: unknown
  readonly hasNext: unknown
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const get = (api: DemoApi, path: string, query: Record<string, string> = {}, token: string | null = api.token) => {
  const url = new URL(path, api.baseUrl)
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
  return fetch(url, { headers: token === null ? {} : { "X-API-Token": token } })
}

const fetchPage = async (api: DemoApi, resource: DemoResource, query: Record<string, string>): Promise<Page> => {
  const res = await get(api, DEMO_ENDPOINTS[resource].path, query)
  assert.strictEqual(res.status, 200)
  const body: unknown = await res.json()
  if (!isObject(body)) throw new Error("page is not an object")
  const records = body[DEMO_ENDPOINTS[resource].dataSelector]
  if (!Array.isArray(records)) throw new Error("records are not a list")
  return { records, next: body.next, hasNext: body.hasNext }
}

const fetchAll = async (api: DemoApi, resource: DemoResource, limit?: number) => {
  const records: Array<unknown> = []
  let next: string | undefined
  let pages = 0
  let last: Page | undefined
  for (;;) {
    const query: Record<string, string> = {}
    if (limit !== undefined) query.limit = String(limit)
    if (next !== undefined) query.next = next
    const page = await fetchPage(api, resource, query)
    pages++
    records.push(...page.records)
    last = page
    if (page.hasNext === false) break
    assert.strictEqual(page.hasNext, true)
    if (typeof page.next !== "string") throw new Error("missing cursor")
    next = page.next
  }
  return { records, pages, last }
}

describe("DemoApi", () => {
  it("pages through each resource until hasNext is false; the last page still has a next cursor", async () => {
    const api = await start({ rows: { appointment_links: 120, code_snippets: 100, insights_reports: 7 } })
    assert.match(api.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1\/$/)
    const expected: Record<DemoResource, { rows: number; pages: number }> = {
      appointment_links: { rows: 120, pages: 3 },
      code_snippets: { rows: 100, pages: 2 },
      insights_reports: { rows: 7, pages: 1 }
    }
    for (const resource of DEMO_RESOURCES) {
      const { last, pages, records } = await fetchAll(api, resource)
      assert.strictEqual(records.length, expected[resource].rows, resource)
      assert.strictEqual(pages, expected[resource].pages, resource)
      assert.isString(last?.next)
      assert.notStrictEqual(last?.next, "")
      assert.deepStrictEqual(records[0], recordAt(resource, 0))
      assert.deepStrictEqual(records[records.length - 1], recordAt(resource, expected[resource].rows - 1))
      const ids = new Set(records.map((r) => (isObject(r) ? r.id : undefined)))
      assert.strictEqual(ids.size, records.length)
    }
    const stats = api.stats()
    assert.strictEqual(stats.requests, 6)
    assert.strictEqual(stats.byPath["/v1/appointmentlinks/me"], 3)
    assert.strictEqual(stats.byPath["/v1/codesnippets"], 2)
    assert.strictEqual(stats.byPath["/v1/insightsreports"], 1)
    assert.deepStrictEqual(stats.records, { appointment_links: 120, code_snippets: 100, insights_reports: 7 })
  })

  it("honours limit (max 100), and the last cursor gives an empty final page", async () => {
    const api = await start({ rows: 250 })
    const all = await fetchAll(api, "code_snippets", 1000)
    assert.strictEqual(all.pages, 3)
    assert.strictEqual(all.records.length, 250)
    const small = await fetchAll(api, "code_snippets", 7)
    assert.strictEqual(small.pages, 36)
    assert.deepStrictEqual(small.records, all.records)
    if (typeof all.last?.next !== "string") throw new Error("no cursor")
    const after = await fetchPage(api, "code_snippets", { next: all.last.next })
    assert.deepStrictEqual(after.records, [])
    assert.strictEqual(after.hasNext, false)
    assert.isString(after.next)
    const empty = await start({ rows: 0 })
    const none = await fetchAll(empty, "insights_reports")
    assert.deepStrictEqual(none.records, [])
    assert.strictEqual(none.pages, 1)
  })

  it("rejects bad limits and unknown, garbled or foreign cursors with 400", async () => {
    const api = await start({ rows: 10 })
    for (const query of [{ limit: "0" }, { limit: "abc" }, { limit: "-5" }]) {
      const res = await get(api, "codesnippets", query)
      assert.strictEqual(res.status, 400)
    }
    const first = await fetchPage(api, "code_snippets", { limit: "5" })
    if (typeof first.next !== "string") throw new Error("no cursor")
    const garbled = first.next.slice(0, -2) + (first.next.endsWith("A") ? "BB" : "AA")
    for (const next of ["nope", "10", garbled, "!!!", encodeCursor("insights_reports", 5)]) {
      const res = await get(api, "codesnippets", { next })
      assert.strictEqual(res.status, 400, next)
      assert.deepStrictEqual(await res.json(), { error: "invalid cursor" })
    }
    assert.strictEqual(api.stats().badRequests, 8)
    assert.strictEqual((await get(api, "nothing")).status, 404)
  })

  it("requires the X-API-Token header", async () => {
    const api = await start({ token: "s3cret" })
    assert.strictEqual(api.token, "s3cret")
    const none = await get(api, "codesnippets", {}, null)
    assert.strictEqual(none.status, 401)
    assert.deepStrictEqual(await none.json(), { error: "invalid token" })
    assert.strictEqual((await get(api, "codesnippets", {}, DEMO_TOKEN)).status, 401)
    assert.strictEqual((await get(api, "codesnippets")).status, 200)
    assert.strictEqual(api.stats().unauthorized, 2)
    const dflt = await start()
    assert.strictEqual(dflt.token, DEMO_TOKEN)
  })

  it("answers every Nth request with 429 and Retry-After: 1", async () => {
    const api = await start({ rateLimitEvery: 3 })
    const statuses: Array<number> = []
    for (let k = 0; k < 7; k++) {
      const res = await get(api, "insightsreports")
      statuses.push(res.status)
      if (res.status === 429) assert.strictEqual(res.headers.get("retry-after"), "1")
      await res.arrayBuffer()
    }
    assert.deepStrictEqual(statuses, [200, 200, 429, 200, 200, 429, 200])
    assert.strictEqual(api.stats().rateLimited, 2)
    api.setFaults({ rateLimitEvery: undefined, transientErrorEvery: 2 })
    const s1 = (await get(api, "insightsreports")).status
    const s2 = (await get(api, "insightsreports")).status
    assert.deepStrictEqual([s1, s2].sort(), [200, 503])
    assert.strictEqual(api.stats().transientErrors, 1)
  })

  it("serves a malformed page with status 200, and injected failures", async () => {
    const api = await start({ rows: 120, malformedPageAt: { resource: "appointment_links", page: 2, times: 1 } })
    const first = await fetchPage(api, "appointment_links", {})
    if (typeof first.next !== "string") throw new Error("no cursor")
    const bad = await get(api, "appointmentlinks/me", { next: first.next })
    assert.strictEqual(bad.status, 200)
    const text = await bad.text()
    assert.throws(() => JSON.parse(text))
    // times: 1 → the retry succeeds
    const again = await fetchPage(api, "appointment_links", { next: first.next })
    assert.strictEqual(again.records.length, 50)
    assert.strictEqual(api.stats().malformed, 1)

    api.setFaults({ failures: [{ resource: "code_snippets", page: 1, status: 500, times: 2 }] })
    assert.strictEqual((await get(api, "codesnippets")).status, 500)
    assert.strictEqual((await get(api, "insightsreports")).status, 200)
    assert.strictEqual((await get(api, "codesnippets")).status, 500)
    assert.strictEqual((await get(api, "codesnippets")).status, 200)
    assert.strictEqual(api.stats().injectedFailures, 2)
  })

  it("generates deterministic records, stable across requests and servers", async () => {
    const a = await start({ rows: 60 })
    const b = await start({ rows: 60 })
    for (const resource of DEMO_RESOURCES) {
      const ra = await fetchAll(a, resource)
      const rb = await fetchAll(b, resource)
      const ra2 = await fetchAll(a, resource, 13)
      assert.deepStrictEqual(ra.records, rb.records)
      assert.deepStrictEqual(ra.records, ra2.records)
    }
    assert.deepStrictEqual(appointmentLinkAt(122), appointmentLinkAt(122))
    const apl = appointmentLinkAt(122)
    assert.strictEqual(apl.id, "apl_000123")
    assert.strictEqual(apl.createdAt, "2024-01-01T02:02:00Z")
    assert.isNull(appointmentLinkAt(6).description)
    assert.isNull(appointmentLinkAt(10).timezone)
    assert.isFalse(Number.isInteger(apl.price))
    const cs = codeSnippetAt(12)
    assert.strictEqual(cs.id, 13)
    assert.isString(cs.archivedAt)
    assert.isNull(codeSnippetAt(0).archivedAt)
    assert.isNull(codeSnippetAt(5).author.email)
    const ir = insightsReportAt(4)
    assert.strictEqual(ir.id, "rpt_000005")
    assert.isNull(ir.meta.owner)
    assert.isNull(ir.deletedAt)
    assert.match(ir.periodStart, /^\d{4}-\d{2}-\d{2}$/)
    for (let i = 0; i < 500; i++) {
      for (const m of insightsReportAt(i).metrics) assert.isFalse(Number.isInteger(m.value))
      assert.isFalse(Number.isInteger(codeSnippetAt(i).score))
      assert.isFalse(Number.isInteger(insightsReportAt(i).conversionRate))
    }
  })

  it("setRows and setVersion change the dataset between runs", async () => {
    const api = await start({ rows: 40 })
    const v0 = await fetchAll(api, "appointment_links")
    api.setRows("appointment_links", 45)
    api.setVersion(1)
    const v1 = await fetchAll(api, "appointment_links")
    assert.strictEqual(v1.records.length, 45)
    const changed = v1.records.filter((r, i) => JSON.stringify(r) !== JSON.stringify(v0.records[i]))
    // indices 40..44 are new; a quarter of 0..39 changed (i + 1) % 4 === 0
    assert.strictEqual(changed.length, 5 + 10)
    const maxV0 = v0.records.map((r) => (isObject(r) ? String(r.updatedAt) : "")).sort().at(-1) ?? ""
    for (let i = 0; i < 40; i++) {
      const before = appointmentLinkAt(i, 0)
      const after = appointmentLinkAt(i, 1)
      if (lastChange(i, 1) === 1) {
        assert.match(after.title, / \(rev 1\)$/)
        assert.isTrue(after.updatedAt > maxV0)
      } else {
        assert.deepStrictEqual(after, before)
      }
    }
    api.setVersion(2)
    assert.strictEqual(api.version(), 2)
    assert.strictEqual(lastChange(3, 2), 1)
    assert.strictEqual(lastChange(2, 2), 2)
    assert.strictEqual(lastChange(0, 2), 0)
    assert.strictEqual(codeSnippetAt(2, 2).version, 3)
  })

  it.scoped("DemoApiScoped closes the server with the scope", () =>
    Effect.gen(function*() {
      const api = yield* DemoApiScoped({ rows: 3 })
      const body = yield* Effect.promise(() => get(api, "codesnippets").then((r) => r.json()))
      assert.isTrue(isObject(body) && Array.isArray(body.results) && body.results.length === 3)
    }))

  it("streams large resources quickly without holding them", async () => {
    const api = await start({ rows: 20_000 })
    const t0 = Date.now()
    const { pages, records } = await fetchAll(api, "insights_reports", 100)
    assert.strictEqual(records.length, 20_000)
    assert.strictEqual(pages, 200)
    assert.isBelow(Date.now() - t0, 10_000)
  })
})
