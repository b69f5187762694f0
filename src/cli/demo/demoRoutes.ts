/** The demo API's request handler: auth, faults, routing, paging and the page bodies. */
import type * as Http from "node:http"
import { decodeCursor, encodeCursor } from "./demoCursor.js"
import { generate } from "./demoData.js"
import { DEFAULT_LIMIT, DEMO_ENDPOINTS, DEMO_RESOURCES, type DemoResource, MAX_LIMIT } from "./demoResources.js"
import type { DemoServerState } from "./demoState.js"
import { withoutTrailingSlashes } from "../../internal/trailingSlashes.js"

const resourceByPath: ReadonlyMap<string, DemoResource> = new Map(
  DEMO_RESOURCES.map((r) => [`/v1/${DEMO_ENDPOINTS[r].path}`, r] as const)
)

const send = (res: Http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    ...headers
  })
  res.end(body)
}

export const sendError = (res: Http.ServerResponse, status: number, error: string, headers?: Record<string, string>) =>
  send(res, status, JSON.stringify({ error }), headers)

/** Answers one request from `state` (and counts it there). */
export const handleDemoRequest = (state: DemoServerState, req: Http.IncomingMessage, res: Http.ServerResponse) => {
  const stats = state.stats
  const url = new URL(req.url ?? "/", "http://demo.invalid")
  stats.requests++
  stats.byPath[url.pathname] = (stats.byPath[url.pathname] ?? 0) + 1

  if (req.headers["x-api-token"] !== state.token) {
    stats.unauthorized++
    return sendError(res, 401, "invalid token")
  }
  const n = ++state.authenticated
  if (state.faults.isRateLimited(n)) {
    stats.rateLimited++
    return sendError(res, 429, "rate limited", { "retry-after": "1" })
  }
  if (state.faults.isTransientError(n)) {
    stats.transientErrors++
    return sendError(res, 503, "service temporarily unavailable")
  }

  const resource = resourceByPath.get(withoutTrailingSlashes(url.pathname))
  if (resource === undefined) return sendError(res, 404, "not found")
  if (req.method !== "GET") return sendError(res, 405, "method not allowed", { allow: "GET" })

  const limitParam = url.searchParams.get("limit")
  let limit = DEFAULT_LIMIT
  if (limitParam !== null) {
    if (!/^[0-9]+$/.test(limitParam) || Number(limitParam) < 1) {
      stats.badRequests++
      return sendError(res, 400, "limit must be a positive integer")
    }
    limit = Math.min(Number(limitParam), MAX_LIMIT)
  }
  const cursor = url.searchParams.get("next")
  let offset = 0
  if (cursor !== null) {
    const decoded = decodeCursor(resource, cursor)
    if (decoded === undefined) {
      stats.badRequests++
      return sendError(res, 400, "invalid cursor")
    }
    offset = decoded
  }
  const page = Math.floor(offset / limit) + 1

  const failure = state.faults.takeFailure(resource, page, n)
  if (failure !== undefined) {
    stats.injectedFailures++
    return send(res, failure.status, failure.body ?? JSON.stringify({ error: "injected failure" }))
  }
  if (state.faults.takeMalformed(resource, page)) {
    stats.malformed++
    return send(res, 200, `{"${DEMO_ENDPOINTS[resource].dataSelector}": [{"id": 1,, "truncated`)
  }

  const total = state.rows[resource]
  const start = Math.min(offset, total)
  const end = Math.min(start + limit, total)
  const records: Array<unknown> = []
  for (let i = start; i < end; i++) records.push(generate(resource, i, state.version))
  stats.pages[resource]++
  stats.records[resource] += records.length
  const body = `{"${DEMO_ENDPOINTS[resource].dataSelector}":${JSON.stringify(records)},"next":${
    JSON.stringify(encodeCursor(resource, end))
  },"hasNext":${end < total}}`
  return send(res, 200, body)
}
