/**
 * The parity API's HTTP plumbing: reading and parsing requests, routing them to a style by path
 * prefix (after any injected failure), and counting and logging every request.
 */
import * as Http from "node:http"
import { json, type ParityStyle, type Reply, type Req } from "./parityHttp.js"

export interface LoggedRequest {
  /** 1-based sequence number since start (not reset by `resetLog`). */
  readonly seq: number
  readonly method: string
  /** Path without query string, e.g. `/github/user/repos`. */
  readonly path: string
  /** Query parameters (the last value wins for repeated keys). */
  readonly query: Readonly<Record<string, string>>
  /** Raw query string including the `?`, or "". */
  readonly search: string
  /** Request headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  /** Parsed JSON body (content-type json), form fields (x-www-form-urlencoded), else undefined. */
  readonly body: unknown
  readonly rawBody: string
  /** Response status. */
  readonly status: number
}

/** Every request received: counters and the log. */
export class RequestLog {
  /** Never reset, so sequence numbers stay unique. */
  seq = 0
  total = 0
  byPath: Record<string, number> = {}
  byMethod: Record<string, number> = {}
  entries: Array<LoggedRequest> = []

  /** Clears the log and the counters (not `seq`). */
  readonly reset = (): void => {
    this.entries = []
    this.total = 0
    this.byPath = {}
    this.byMethod = {}
  }
}

interface Injected {
  readonly status: number
  readonly body: unknown
  readonly headers: Readonly<Record<string, string>>
  remaining: number
}

/** Sends each request to the style whose prefix it has, unless a failure was injected for its path. */
export class ParityRouter {
  private readonly injected = new Map<string, Injected>()

  constructor(private readonly styles: ReadonlyArray<ParityStyle>) {}

  /** The next `times` requests to `path` (no query) answer `status` with `body`. */
  readonly failNext = (path: string, status: number, times: number, body: unknown, headers: Readonly<Record<string, string>>): void => {
    this.injected.set(path, { status, body, headers, remaining: times })
  }

  readonly clearFailures = (): void => {
    this.injected.clear()
  }

  readonly route = (req: Req): Reply => {
    const fault = this.injected.get(req.url.pathname)
    if (fault !== undefined && fault.remaining > 0) {
      fault.remaining--
      if (fault.remaining === 0) this.injected.delete(req.url.pathname)
      return json(fault.status, fault.body, fault.headers)
    }
    for (const style of this.styles) {
      const path = req.url.pathname
      if (path === style.prefix || path.startsWith(`${style.prefix}/`)) return style.handle(req, path.slice(style.prefix.length))
    }
    return json(404, { message: "Not Found" })
  }
}

const lowerHeaders = (req: Http.IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v
  }
  return out
}

export const portOf = (address: ReturnType<Http.Server["address"]>): number =>
  typeof address === "object" && address !== null ? address.port : 0

/** The server: reads each body, parses it (JSON or form), routes, logs and answers. */
export const createParityServer = (router: ParityRouter, log: RequestLog, origin: () => string): Http.Server =>
  Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8")
      const headers = lowerHeaders(request)
      const contentType = (headers["content-type"] ?? "").toLowerCase()
      let body: unknown = undefined
      if (contentType.includes("json") && rawBody !== "") {
        try {
          body = JSON.parse(rawBody)
        } catch {
          body = undefined
        }
      } else if (contentType.includes("application/x-www-form-urlencoded")) {
        body = Object.fromEntries(new URLSearchParams(rawBody))
      }
      const method = (request.method ?? "GET").toUpperCase()
      const url = new URL(request.url ?? "/", origin())
      log.total++
      log.byPath[url.pathname] = (log.byPath[url.pathname] ?? 0) + 1
      log.byMethod[method] = (log.byMethod[method] ?? 0) + 1
      const seq = ++log.seq
      let reply: Reply
      try {
        reply = router.route({ method, url, origin: origin(), headers, body, rawBody, contentType })
      } catch (e) {
        reply = json(500, { message: e instanceof Error ? e.message : String(e) })
      }
      log.entries.push({
        seq,
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        search: url.search,
        headers,
        body,
        rawBody,
        status: reply.status
      })
      if (reply.text !== undefined) {
        response.writeHead(reply.status, { ...reply.headers, "content-type": "text/plain; charset=utf-8" })
        response.end(reply.text)
      } else {
        response.writeHead(reply.status, { ...reply.headers, "content-type": "application/json; charset=utf-8" })
        response.end(reply.body === undefined ? "" : JSON.stringify(reply.body))
      }
    })
  })
