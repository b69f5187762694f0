/**
 * A loopback API serving the same items in the paging styles of common public APIs:
 * PokeAPI-like `next` URLs, offset + total, page numbers + total_pages, `cursors.next`,
 * and Stripe-like `has_more` + `starting_after`. Port 0, 127.0.0.1 only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"

export interface StyleApi {
  readonly baseUrl: string
  readonly requests: () => number
  readonly close: () => Promise<void>
}

export const item = (i: number) => ({
  id: i,
  name: `item ${i}`,
  createdAt: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
  price: i + 0.5,
  details: { color: i % 2 === 0 ? "red" : "blue", size: i % 3 === 0 ? null : i % 3 },
  labels: i % 4 === 0 ? [] : [`l${i % 4}`, "all"]
})

const items = (from: number, count: number, total: number) => {
  const out = []
  for (let i = from; i < Math.min(from + count, total); i++) out.push(item(i + 1))
  return out
}

const portOf = (address: ReturnType<ReturnType<typeof createServer>["address"]>): number =>
  typeof address === "object" && address !== null ? address.port : 0

export const startStyleApi = (total: number): Promise<StyleApi> =>
  new Promise((resolve) => {
    let requests = 0
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests++
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const q = (name: string, fallback: number) => {
        const v = url.searchParams.get(name)
        return v === null ? fallback : Number(v)
      }
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" })
        res.end(JSON.stringify(body))
      }
      const origin = `http://127.0.0.1:${portOf(server.address())}`
      switch (url.pathname) {
        case "/link": {
          const limit = q("limit", 20)
          const offset = q("offset", 0)
          const next = offset + limit < total ? `${origin}/link?offset=${offset + limit}&limit=${limit}` : null
          return send(200, { count: total, next, previous: null, results: items(offset, limit, total) })
        }
        case "/offset": {
          const limit = q("limit", 10)
          const offset = q("offset", 0)
          return send(200, { items: items(offset, limit, total), total })
        }
        case "/pages": {
          const perPage = q("per_page", 10)
          const page = q("page", 1)
          return send(200, { data: items((page - 1) * perPage, perPage, total), total_pages: Math.ceil(total / perPage) })
        }
        case "/cursor": {
          const offset = q("cursor", 0)
          const next = offset + 15 < total ? String(offset + 15) : null
          return send(200, { data: items(offset, 15, total), cursors: { next } })
        }
        case "/stripe": {
          const limit = q("limit", 10)
          const after = q("starting_after", 0)
          const page = items(after, limit, total)
          return send(200, { object: "list", data: page, has_more: after + limit < total })
        }
        default:
          return send(404, { error: "not found" })
      }
    })
    server.listen(0, "127.0.0.1", () => {
      const port = portOf(server.address())
      resolve({
        baseUrl: `http://127.0.0.1:${port}/`,
        requests: () => requests,
        close: () => new Promise((done) => server.close(() => done()))
      })
    })
  })
