/**
 * A loopback API for many tenants: each tenant has its own token and account id; its users
 * (3 pages) and events (4 pages, each event with a list of tags) are at
 * `/accounts/<account>/...`, readable only with its own token, and every record names its
 * tenant, so a sync that mixed up secrets or params shows in its rows. Every page takes a
 * little while, so syncs are still running when a runner is killed. Each request's time is
 * kept, to measure the rate the API saw.
 */
import { createServer } from "node:http"

export interface Tenant {
  readonly name: string
  readonly token: string
  readonly account: string
}

export interface TenantApi {
  readonly url: string
  readonly tenants: ReadonlyArray<Tenant>
  /** When each request arrived (ms since epoch); cleared by `resetLog`. */
  readonly requestTimes: () => ReadonlyArray<number>
  readonly resetLog: () => void
  /** Requests refused: a token or an account that does not belong. */
  readonly refused: () => number
  readonly close: () => Promise<void>
}

const PAGES = { users: 3, events: 4 } as const
const PER_PAGE = 10

const records = (tenant: Tenant, resource: "users" | "events", page: number) =>
  Array.from({ length: PER_PAGE }, (_, k) => {
    const n = (page - 1) * PER_PAGE + k
    return resource === "users"
      ? { id: `${tenant.name}-u${n}`, tenant: tenant.name, name: `user ${n} of ${tenant.name}`, score: n * 1.5 }
      : { id: `${tenant.name}-e${n}`, tenant: tenant.name, user_id: `${tenant.name}-u${n % 30}`, kind: n % 3 === 0 ? "click" : "view", tags: [`t${n % 4}`, `p${page}`] }
  })

export const startTenantApi = async (count: number, pageMillis: number, seed: number): Promise<TenantApi> => {
  const tenants: ReadonlyArray<Tenant> = Array.from({ length: count }, (_, i) => ({
    name: `tenant${String(i).padStart(2, "0")}`,
    token: `tok-${i}-${(seed * 31 + i * 7919).toString(36)}`,
    account: `acct-${(seed + i * 13) % 100_000}`
  }))
  const byToken = new Map(tenants.map((t) => [t.token, t]))
  let times: Array<number> = []
  let refused = 0
  const server = createServer((req, res) => {
    times.push(Date.now())
    const url = new URL(req.url ?? "/", "http://x")
    const tenant = byToken.get((req.headers.authorization ?? "").replace(/^Bearer /, ""))
    const match = /^\/accounts\/([^/]+)\/(users|events)$/.exec(url.pathname)
    const page = Number(url.searchParams.get("page") ?? 1)
    setTimeout(() => {
      if (tenant === undefined || match === null || match[1] !== tenant.account) {
        refused++
        res.statusCode = tenant === undefined ? 401 : 404
        return res.end(JSON.stringify({ error: "not yours" }))
      }
      const resource = match[2] === "users" ? "users" : "events"
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify({ items: page > PAGES[resource] ? [] : records(tenant, resource, page), total_pages: PAGES[resource] }))
    }, pageMillis)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/`,
    tenants,
    requestTimes: () => times,
    resetLog: () => {
      times = []
    },
    refused: () => refused,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The config every tenant shares: its token is the secret API_TOKEN, its account a param. */
export const tenantConfig = (baseUrl: string, requestsPerSecond: number) => {
  const resource = (name: string, disposition: "merge" | "append") => ({
    name,
    primary_key: "id",
    write_disposition: disposition,
    endpoint: {
      path: `accounts/{params.account}/${name}`,
      data_selector: "items",
      paginator: { type: "page_number", base_page: 1, total_path: "total_pages" }
    }
  })
  return {
    client: {
      base_url: baseUrl,
      auth: { type: "bearer", token: { secret: "API_TOKEN" } },
      rate_limit: { requests_per_second: requestsPerSecond }
    },
    // Append: a tree committed twice would show as duplicate rows.
    resources: [resource("users", "merge"), resource("events", "append")]
  }
}
