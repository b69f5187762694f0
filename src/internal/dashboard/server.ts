/**
 * The dashboard over HTTP (`@effect/platform`'s HttpRouter, served by NodeHttpServer): the page
 * and its script from memory, JSON endpoints over data.ts, and the guards of a local web
 * server that can read a database: requests must name this host (a DNS-rebinding page names
 * its own), a POST must come from the page itself (same origin, JSON body), and the SQL box
 * is read-only. Nothing here reads or shows a secret.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Effect, Either, Schema } from "effect"
import type { Scope } from "effect/Scope"
import { createServer } from "node:http"
import { maskConfig } from "./configView.js"
import * as Data from "./data.js"
import { DashboardError, type DashboardResource } from "./model.js"
import { pageHtml, pageScript, pageStyles } from "./page/assets.js"
import { schemaTree } from "./schemaTree.js"

export interface DashboardOptions {
  /** The dataset (Postgres schema) shown. */
  readonly dataset: string
  /** The config's resources (see `describeResources`). */
  readonly resources: ReadonlyArray<DashboardResource>
  /** Host names the page may be reached by besides localhost, 127.0.0.1 and [::1] (e.g. the `--host` it binds). */
  readonly allowedHosts?: ReadonlyArray<string> | undefined
  /** SQL box: cancel a statement after this long (default 10 s). */
  readonly queryTimeoutMillis?: number | undefined
  /** The config as loaded (the file's dictionary), shown with its secrets as `***`; none by default. */
  readonly config?: unknown
}

const securityHeaders = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  // The page's own script and styles only: nothing inline, nothing from elsewhere.
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

const respond = (body: string, contentType: string) =>
  HttpServerResponse.text(body, { contentType, headers: securityHeaders })

const json = (body: unknown, status = 200) => HttpServerResponse.unsafeJson(body, { status, headers: securityHeaders })

const statusOf = { NotFound: 404, BadRequest: 400, Unavailable: 503 } as const

const failure = (error: DashboardError) => json({ error: error.message, reason: error.reason }, statusOf[error.reason])

/** The host name of a Host header: `[::1]:8080` → `[::1]`, `localhost:80` → `localhost`. */
export const hostName = (header: string): string => {
  const h = header.trim().toLowerCase()
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1)
  const colon = h.lastIndexOf(":")
  return colon === -1 ? h : h.slice(0, colon)
}

/**
 * An IP address as Host (`192.168.1.5`, `[fe80::1]`): DNS rebinding needs a name, so an address
 * is safe, and `--host 0.0.0.0` is reached by the machine's addresses.
 */
const isAddress = (name: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-f:.]+\]$/.test(name)

/** Why a request is refused before routing (a foreign Host, a cross-origin POST), or undefined. */
export const refusal = (
  request: { readonly method: string; readonly headers: Readonly<Record<string, string | undefined>> },
  allowed: ReadonlySet<string>
): string | undefined => {
  const host = request.headers["host"]
  if (host === undefined || !(allowed.has(hostName(host)) || isAddress(hostName(host)))) {
    return "this dashboard answers only requests to its own host (Host header refused)"
  }
  if (request.method === "GET" || request.method === "HEAD") return undefined
  const origin = request.headers["origin"]
  if (origin !== undefined) {
    const parsed = Either.try(() => new URL(origin))
    if (Either.isLeft(parsed) || parsed.right.host.toLowerCase() !== host.trim().toLowerCase()) return "cross-origin requests are refused"
  }
  if (request.headers["sec-fetch-site"] !== undefined && request.headers["sec-fetch-site"] !== "same-origin") return "cross-origin requests are refused"
  // A form cannot send JSON without CORS (which this server never grants).
  if (!(request.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) return "a POST must send application/json"
  return undefined
}

const QueryBody = Schema.Struct({ sql: Schema.String })

const badRequest = (message: string) => new DashboardError({ reason: "BadRequest", message })
const unavailable = (e: { readonly message: string }) => new DashboardError({ reason: "Unavailable", message: e.message })

const searchParam = (url: string, name: string): string | undefined =>
  Either.getOrUndefined(Either.try(() => new URL(url, "http://dashboard.invalid").searchParams.get(name) ?? undefined))

/** The dashboard as an HTTP app over the `SqlClient`/`PgClient` in context. */
export const app = (options: DashboardOptions) => {
  const { dataset, resources } = options
  const allowed = new Set(["localhost", "127.0.0.1", "[::1]", ...(options.allowedHosts ?? []).map((h) => hostName(h))])
  const api = <A, R>(effect: Effect.Effect<A, DashboardError, R>) =>
    Effect.matchEffect(effect, { onFailure: (e) => Effect.succeed(failure(e)), onSuccess: (body) => Effect.succeed(json(body)) })
  const router = HttpRouter.empty.pipe(
    HttpRouter.get("/", Effect.succeed(respond(pageHtml(dataset), "text/html; charset=utf-8"))),
    HttpRouter.get("/app.js", Effect.succeed(respond(pageScript, "text/javascript; charset=utf-8"))),
    HttpRouter.get("/app.css", Effect.succeed(respond(pageStyles, "text/css; charset=utf-8"))),
    HttpRouter.get("/api/config", Effect.sync(() => json({ config: maskConfig(options.config) }))),
    HttpRouter.get("/api/overview", api(Effect.mapError(Data.overview(dataset, resources), unavailable))),
    HttpRouter.get("/api/history", api(Effect.mapError(Data.history(dataset), unavailable))),
    HttpRouter.get("/api/schema", api(Effect.mapError(schemaTree(dataset, resources), unavailable))),
    HttpRouter.get("/api/state", api(Effect.mapError(Data.state(dataset, resources), unavailable))),
    HttpRouter.get("/api/tables", api(Effect.mapError(Data.tableNames(dataset), unavailable))),
    HttpRouter.get(
      "/api/tables/:name",
      api(Effect.gen(function*() {
        const params = yield* HttpRouter.params
        const request = yield* HttpServerRequest.HttpServerRequest
        const limit = Number(searchParam(request.url, "limit") ?? "50")
        return yield* Data.tableRows(dataset, params["name"] ?? "", Number.isFinite(limit) ? limit : 50)
      }))
    ),
    HttpRouter.post(
      "/api/query",
      api(Effect.gen(function*() {
        const request = yield* HttpServerRequest.HttpServerRequest
        const body = yield* Effect.mapError(request.json, () => badRequest("the body must be JSON: {\"sql\": \"SELECT ...\"}"))
        const { sql } = yield* Effect.mapError(Schema.decodeUnknown(QueryBody)(body), () => badRequest("the body must be {\"sql\": \"...\"}"))
        if (sql.trim() === "") return yield* Effect.fail(badRequest("no SQL given"))
        return yield* Data.runQuery(dataset, sql, { timeoutMillis: options.queryTimeoutMillis })
      }))
    )
  )
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const refused = refusal({ method: request.method, headers: request.headers }, allowed)
    if (refused !== undefined) return Effect.succeed(json({ error: refused, reason: "Forbidden" }, 403))
    return router.pipe(
      Effect.catchTag("RouteNotFound", () => Effect.succeed(json({ error: "not found", reason: "NotFound" }, 404))),
      // What is left is a bug of ours: a 500 without details (they could hold anything).
      Effect.catchAllCause(() => Effect.succeed(json({ error: "internal error", reason: "Internal" }, 500)))
    )
  })
}

export interface ListenOptions extends DashboardOptions {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** Default 0: one the OS picks. */
  readonly port?: number | undefined
}

/** Serves the dashboard for the scope; the URL it answers on. */
export const serve = (
  options: ListenOptions
): Effect.Effect<{ readonly url: string; readonly host: string; readonly port: number }, ServeError, Scope | SqlClient.SqlClient | PgClient.PgClient> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const server = yield* NodeHttpServer.make(() => createServer(), { host, port: options.port ?? 0 })
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    yield* server.serve(app({ ...options, allowedHosts: [...(options.allowedHosts ?? []), host] }))
    const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
    return { url: `http://${shown}:${port}/`, host, port }
  })

