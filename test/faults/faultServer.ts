/**
 * A hostile API on 127.0.0.1: `GET /items?page=N` (3 pages of 20 records with a `parts` list,
 * `total_pages: 3`) and `GET /other` (one page), answering each request normally or with the
 * fault the test picks: a connection reset mid-body, a body shorter than its Content-Length, a
 * stall after the headers, a gzip-encoded body, a redirect loop, a 429 or an HTML page with 200.
 * Requests must carry `?api_key=<token>` (so every URL in an error message holds a secret).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { gzipSync } from "node:zlib"

export type Fault = "reset" | "truncate" | "stall" | "gzip" | "redirect-loop" | "429" | "html"

export interface FaultRequest {
  /** `items` or `other`. */
  readonly resource: string
  readonly page: number
  /** 1-based: how often this resource's page was asked for so far, this one included. */
  readonly attempt: number
  /** 1-based: requests received so far, this one included. */
  readonly n: number
}

export type FaultPlan = (request: FaultRequest) => Fault | undefined

export interface FaultServer {
  readonly url: string
  readonly requests: () => number
  /** The plan for the next requests (and attempt counts start over). */
  readonly setPlan: (plan: FaultPlan) => void
  readonly close: () => Promise<void>
}

export const PAGES = 3
const PER_PAGE = 20

const itemsPage = (page: number) => ({
  items: Array.from({ length: PER_PAGE }, (_, i) => {
    const id = (page - 1) * PER_PAGE + i + 1
    return { id, name: `item ${id}`, price: id * 1.25, parts: Array.from({ length: id % 3 }, (_, k) => ({ sku: `p${id}-${k}`, qty: k + 1 })) }
  }),
  total_pages: PAGES
})

const otherPage = () => ({ items: Array.from({ length: 5 }, (_, i) => ({ id: i + 1, label: `other ${i + 1}`, tags: ["a", "b"].slice(0, i % 3) })) })

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers })
  res.end(text)
}

const sendFault = (fault: Fault, req: IncomingMessage, res: ServerResponse, text: string) => {
  const bytes = Buffer.from(text)
  switch (fault) {
    case "reset":
      res.writeHead(200, { "content-type": "application/json", "content-length": String(bytes.length) })
      res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy())
      return
    case "truncate":
      res.writeHead(200, { "content-type": "application/json", "content-length": String(bytes.length + 100) })
      res.write(bytes, () => res.socket?.end())
      return
    case "stall":
      res.writeHead(200, { "content-type": "application/json", "content-length": String(bytes.length) })
      res.flushHeaders()
      return // nothing more: the client's timeout must end it
    case "gzip": {
      const zipped = gzipSync(bytes)
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(zipped.length) })
      res.end(zipped)
      return
    }
    case "redirect-loop":
      // /items → /bounce → /items → ...: the same two URLs for ever.
      res.writeHead(302, { location: `/bounce?to=${encodeURIComponent(req.url ?? "/")}`, "content-length": "0" })
      res.end()
      return
    case "429":
      return json(res, 429, { error: "slow down" }, { "retry-after": "0" })
    case "html": {
      const html = "<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Back soon</h1></body></html>"
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": String(Buffer.byteLength(html)) })
      res.end(html)
      return
    }
  }
}

export const startFaultServer = (token: string): Promise<FaultServer> => {
  let plan: FaultPlan = () => undefined
  let received = 0
  let attempts = new Map<string, number>()
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    received++
    if (url.pathname === "/bounce") {
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/", "content-length": "0" })
      return res.end()
    }
    if (url.searchParams.get("api_key") !== token) return json(res, 401, { error: "invalid token" })
    const resource = url.pathname.replace(/^\/+/, "")
    if (resource !== "items" && resource !== "other") return json(res, 404, { error: "not found" })
    const page = Number(url.searchParams.get("page") ?? "1")
    const key = `${resource}:${page}`
    const attempt = (attempts.get(key) ?? 0) + 1
    attempts.set(key, attempt)
    const body = resource === "items" ? itemsPage(page) : otherPage()
    const fault = plan({ resource, page, attempt, n: received })
    if (fault === undefined) return json(res, 200, body)
    sendFault(fault, req, res, JSON.stringify(body))
  })
  server.keepAliveTimeout = 5_000
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests: () => received,
        setPlan: (next) => {
          plan = next
          attempts = new Map()
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })
}

/** The config the HTTP fault tests run: `items` (paged, with a child table) and `others`. */
export const faultConfig = (baseUrl: string, client: Record<string, unknown> = {}) => ({
  client: {
    base_url: baseUrl,
    auth: { type: "api_key", name: "api_key", api_key: { secret: "ANALYTICS_API_KEY" }, location: "query" },
    timeout: 1,
    retry: { max_retries: 2, backoff_factor: 0.1, jitter: 0 },
    ...client
  },
  resource_defaults: { primary_key: "id", write_disposition: "merge" },
  resources: [
    { name: "items", endpoint: { path: "items", data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: "total_pages" } } },
    { name: "others", endpoint: { path: "other", data_selector: "items", paginator: "single_page" } }
  ]
})
