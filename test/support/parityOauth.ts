/**
 * The OAuth2 style (`bases.oauth`): a client-credentials token endpoint and a bearer-protected API.
 * - `POST token`, form `grant_type=client_credentials&client_id&client_secret` (client
 *   credentials may instead come as HTTP Basic) → `{access_token, token_type: "bearer",
 *   expires_in}`; wrong grant → `400 {"error": "unsupported_grant_type"}`; wrong client →
 *   `401 {"error": "invalid_client"}`; not form-encoded → `400 {"error": "invalid_request"}`.
 * - `GET api/things?page=1` with `Authorization: Bearer <access_token>` → `{data: Thing[],
 *   next_page: number | null}`; a missing, unknown or expired token → `401 {"error": "invalid_token"}`.
 */
import { bearerOf, json, methodNotAllowed, type ParityStyle, positiveInt, type Reply, type Req } from "./parityHttp.js"

export const PARITY_OAUTH_CLIENT_ID = "parity-client"
export const PARITY_OAUTH_CLIENT_SECRET = "parity-secret"

export interface OauthOptions {
  /** OAuth2: credentials. Defaults `PARITY_OAUTH_CLIENT_ID` / `PARITY_OAUTH_CLIENT_SECRET`. */
  readonly oauthClientId?: string
  readonly oauthClientSecret?: string
  /** OAuth2: `expires_in` announced in token responses, in seconds. Default 3600. */
  readonly oauthExpiresIn?: number
  /** OAuth2: how long the server accepts a token, in seconds. Default = `oauthExpiresIn`. */
  readonly oauthTokenLifetime?: number
  /** OAuth2: number of things and page size. Defaults 12 and 5. */
  readonly things?: number
  readonly thingsPageSize?: number
}

export interface Thing {
  readonly id: number
  readonly name: string
  readonly kind: string
}

export const thingAt = (i: number): Thing => ({ id: i, name: `Thing ${i}`, kind: i % 2 === 0 ? "even" : "odd" })

export class OauthStyle implements ParityStyle {
  readonly prefix = "/oauth"
  readonly clientId: string
  readonly clientSecret: string
  /** `POST /oauth/token` requests (any outcome) since the last `resetCounters`. */
  tokenRequests = 0
  /** Tokens issued since the last `resetCounters`. */
  tokensIssued = 0
  private readonly expiresIn: number
  private readonly lifetime: number
  private readonly pageSize: number
  private thingCount = 0
  /** token → expiry (ms) */
  private tokens = new Map<string, number>()
  private tokenSerial = 0

  constructor(private readonly options: OauthOptions) {
    this.clientId = options.oauthClientId ?? PARITY_OAUTH_CLIENT_ID
    this.clientSecret = options.oauthClientSecret ?? PARITY_OAUTH_CLIENT_SECRET
    this.expiresIn = options.oauthExpiresIn ?? 3600
    this.lifetime = options.oauthTokenLifetime ?? this.expiresIn
    this.pageSize = options.thingsPageSize ?? 5
    this.reset()
  }

  readonly reset = (): void => {
    this.thingCount = this.options.things ?? 12
    this.tokens = new Map()
  }

  readonly resetCounters = (): void => {
    this.tokenRequests = 0
    this.tokensIssued = 0
  }

  readonly addThings = (n: number): void => {
    this.thingCount += n
  }

  /** Invalidates every issued token (the API then answers 401 until a new token is fetched). */
  readonly expireTokens = (): void => {
    this.tokens = new Map()
  }

  readonly handle = (req: Req, rest: string): Reply => {
    if (rest === "/token") return this.tokenEndpoint(req)
    if (rest === "/api/things") return this.thingsEndpoint(req)
    return json(404, { message: "Not Found" })
  }

  private tokenEndpoint(req: Req): Reply {
    if (req.method !== "POST") return methodNotAllowed("POST")
    this.tokenRequests++
    if (!req.contentType.includes("application/x-www-form-urlencoded")) return json(400, { error: "invalid_request" })
    const form = new URLSearchParams(req.rawBody)
    let clientId = form.get("client_id")
    let clientSecret = form.get("client_secret")
    const basic = /^basic\s+(.+)$/i.exec(req.headers["authorization"] ?? "")
    if (basic !== null) {
      const decoded = Buffer.from(basic[1], "base64").toString("utf8")
      const colon = decoded.indexOf(":")
      clientId = decodeURIComponent(decoded.slice(0, colon))
      clientSecret = decodeURIComponent(decoded.slice(colon + 1))
    }
    if (form.get("grant_type") !== "client_credentials") return json(400, { error: "unsupported_grant_type" })
    if (clientId !== this.clientId || clientSecret !== this.clientSecret) return json(401, { error: "invalid_client" })
    this.tokensIssued++
    this.tokenSerial++
    const token = `at_${String(this.tokenSerial).padStart(6, "0")}`
    this.tokens.set(token, Date.now() + this.lifetime * 1000)
    return json(200, { access_token: token, token_type: "bearer", expires_in: this.expiresIn }, { "cache-control": "no-store" })
  }

  private thingsEndpoint(req: Req): Reply {
    if (req.method !== "GET") return methodNotAllowed("GET")
    const token = bearerOf(req.headers)
    const expiry = token === undefined ? undefined : this.tokens.get(token)
    if (expiry === undefined || Date.now() >= expiry) {
      return json(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' })
    }
    const page = positiveInt(req.url, "page", 1)
    if (page === undefined) return json(400, { error: "invalid page" })
    const data: Array<Thing> = []
    for (let i = (page - 1) * this.pageSize + 1; i <= Math.min(page * this.pageSize, this.thingCount); i++) data.push(thingAt(i))
    return json(200, { data, next_page: page * this.pageSize < this.thingCount ? page + 1 : null })
  }
}
