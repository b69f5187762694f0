/**
 * The Stripe-like style (`bases.stripe` = `.../stripe/v1/`; auth only when `stripeSecretKey` is set):
 * - `GET customers?limit=10&starting_after=<id>` → `{object: "list", url: "/v1/customers",
 *   has_more, data: StripeCustomer[]}`, ascending by id; `limit` 1..100 (else 400);
 *   unknown `starting_after` → `400 {"error": {"type": "invalid_request_error", "message"}}`.
 */
import { bearerOf, json, methodNotAllowed, type ParityStyle, positiveInt, type Reply, type Req } from "./parityHttp.js"

export interface StripeOptions {
  /** Stripe: number of customers. Default 25. */
  readonly customers?: number
  /** Stripe: when set, `Authorization: Bearer <key>` or Basic `<key>:` is required. Default: no auth. */
  readonly stripeSecretKey?: string
}

export interface StripeCustomer {
  readonly id: string
  readonly object: "customer"
  readonly email: string
  readonly created: number
  readonly metadata: { readonly tier: string; readonly index: string }
}

export const customerIdOf = (i: number): string => `cus_${String(i).padStart(6, "0")}`

/** Customer `i` (1-based). */
export const customerAt = (i: number): StripeCustomer => ({
  id: customerIdOf(i),
  object: "customer",
  email: `customer${i}@example.com`,
  created: 1_704_067_200 + i * 3600,
  metadata: { tier: ["gold", "silver", "bronze"][i % 3], index: String(i) }
})

export class StripeStyle implements ParityStyle {
  readonly prefix = "/stripe"
  private count = 0

  constructor(private readonly options: StripeOptions) {
    this.reset()
  }

  readonly reset = (): void => {
    this.count = this.options.customers ?? 25
  }

  readonly add = (n: number): void => {
    this.count += n
  }

  readonly handle = (req: Req, rest: string): Reply => {
    const secretKey = this.options.stripeSecretKey
    if (secretKey !== undefined) {
      const auth = req.headers["authorization"] ?? ""
      const basic = /^basic\s+(.+)$/i.exec(auth)
      const basicUser = basic === null ? undefined : Buffer.from(basic[1], "base64").toString("utf8").split(":")[0]
      if (bearerOf(req.headers) !== secretKey && basicUser !== secretKey) {
        return json(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } })
      }
    }
    if (rest !== "/v1/customers") return json(404, { error: { type: "invalid_request_error", message: "Unrecognized request URL" } })
    if (req.method !== "GET") return methodNotAllowed("GET")
    const limit = positiveInt(req.url, "limit", 10)
    if (limit === undefined || limit > 100) {
      return json(400, { error: { type: "invalid_request_error", message: "Invalid integer: limit" } })
    }
    const after = req.url.searchParams.get("starting_after")
    let start = 0
    if (after !== null && after !== "") {
      const m = /^cus_(\d{6})$/.exec(after)
      const i = m === null ? 0 : Number(m[1])
      if (i < 1 || i > this.count) {
        return json(400, { error: { type: "invalid_request_error", message: `No such customer: '${after}'` } })
      }
      start = i
    }
    const data: Array<StripeCustomer> = []
    for (let i = start + 1; i <= Math.min(start + limit, this.count); i++) data.push(customerAt(i))
    return json(200, { object: "list", url: "/v1/customers", has_more: start + limit < this.count, data })
  }
}
