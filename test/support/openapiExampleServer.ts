/**
 * A loopback API made from an OpenAPI document's own examples: every GET operation with a JSON
 * example answers its first example on the first page; a request that asks for a later page
 * (an offset, a page past the first, a cursor) gets the same body with its lists emptied, so any
 * paginator stops. URLs of the documented server in the examples point here. Requests are recorded.
 */
import { createServer } from "node:http"
import type { ApiModel } from "../../src/internal/openapi/model.js"

const later = (url: URL): boolean => {
  for (const [key, value] of url.searchParams) {
    if (/^(offset|skip|start)$/i.test(key) && Number(value) > 0) return true
    if (/^page$/i.test(key) && Number(value) > 1) return true
    if (/cursor|after|before|token|next|continuation|since/i.test(key) && value !== "") return true
  }
  return false
}

/** The body as a last page: lists emptied, next links and cursors gone, `has_more`-like flags false. */
const emptied = (body: unknown, depth = 0): unknown => {
  if (Array.isArray(body)) return []
  if (typeof body !== "object" || body === null || depth > 3) return body
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [
    k,
    /next/i.test(k) && !/^has/i.test(k) ? null : /^(has_?more|has_?next)/i.test(k) ? false : emptied(v, depth + 1)
  ]))
}

/** `/pets/{petId}/toys` as a pattern matching `/pets/7/toys`. */
const patternOf = (path: string): RegExp =>
  new RegExp("^" + path.replace(/[.+^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+") + "/?$")

export interface ExampleServer {
  readonly url: string
  readonly requests: ReadonlyArray<string>
  readonly close: () => Promise<void>
}

export const serveExamples = (model: ApiModel, basePath = ""): Promise<ExampleServer> =>
  new Promise((resolve) => {
    const routes = model.operations
      .filter((op) => op.method === "get" && op.response !== undefined && op.response.examples.length > 0)
      // Static paths first: `/pets/mine` before `/pets/{id}`.
      .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0))
      .map((op) => ({ pattern: patternOf(basePath + op.path), example: op.response?.examples[0] }))
    const requests: Array<string> = []
    const documented = model.baseUrl !== undefined && URL.canParse(model.baseUrl) ? new URL(model.baseUrl).origin : undefined
    let own = ""
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      requests.push(`${req.method} ${url.pathname}${url.search}`)
      const route = routes.find((r) => r.pattern.test(url.pathname))
      res.setHeader("content-type", "application/json")
      if (route === undefined) {
        res.statusCode = 404
        res.end(JSON.stringify({ message: "no example for this path" }))
        return
      }
      // Links in the examples point at the documented server: here, at this one.
      const body = JSON.stringify(later(url) ? emptied(route.example) : route.example)
      res.end(documented === undefined ? body : body.split(documented).join(own))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      own = `http://127.0.0.1:${port}`
      resolve({ url: `http://127.0.0.1:${port}${basePath}`, requests, close: () => new Promise((done) => server.close(() => done())) })
    })
  })
