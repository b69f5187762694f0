import { assert, describe, it } from "@effect/vitest"
import type { ParityApi } from "../support/parityApi.js"
import { isObject, listAt, objectOf, useParityApi } from "../support/parityClient.js"

const start = useParityApi()

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
