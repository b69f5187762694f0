/**
 * The incremental style (`bases.inc`): orders with a server-side `updated_since` filter, and a
 * twin endpoint that ignores it.
 * - `GET orders?updated_since=<ISO>&page=1&per_page=<ordersPageSize>` → `{orders: Order[], page,
 *   total_pages}`, ascending by id, `updated_at >= updated_since` when given (invalid → 400).
 * - `GET orders_noparam?page=1&per_page=...` → the same, ignoring any filter param.
 */
import { HOUR, isoFrom, isoOf, latest } from "./parityDates.js"
import { json, methodNotAllowed, type ParityStyle, positiveInt, range, type Reply, type Req } from "./parityHttp.js"

export interface OrdersOptions {
  /** Incremental: number of orders and default page size (query `per_page` overrides). Defaults 30 and 10. */
  readonly orders?: number
  readonly ordersPageSize?: number
}

export type OrderStatus = "pending" | "paid" | "shipped" | "delivered"

export interface Order {
  readonly id: number
  readonly status: OrderStatus
  readonly updated_at: string
  readonly amount: number
}

const ORDER_STATUSES: ReadonlyArray<OrderStatus> = ["pending", "paid", "shipped", "delivered"]
const nextStatus = (s: OrderStatus): OrderStatus => ORDER_STATUSES[(ORDER_STATUSES.indexOf(s) + 1) % ORDER_STATUSES.length]

/** Order `i` (1-based) as generated initially: updated 2024-03-01T00:00Z + i hours. */
export const orderAt = (i: number): Order => ({
  id: i,
  status: ORDER_STATUSES[i % 3],
  updated_at: isoOf(Date.UTC(2024, 2, 1) + i * HOUR),
  amount: Math.round(i * 1234.5) / 100
})

export class OrdersStyle implements ParityStyle {
  readonly prefix = "/inc"
  private readonly pageSize: number
  private orders: Array<Order> = []

  constructor(private readonly options: OrdersOptions) {
    this.pageSize = options.ordersPageSize ?? 10
    this.reset()
  }

  readonly reset = (): void => {
    this.orders = []
    range(this.options.orders ?? 30, (i) => this.orders.push(orderAt(i)))
  }

  readonly handle = (req: Req, rest: string): Reply => {
    if (rest !== "/orders" && rest !== "/orders_noparam") return json(404, { message: "Not Found" })
    if (req.method !== "GET") return methodNotAllowed("GET")
    const page = positiveInt(req.url, "page", 1)
    const perPage = positiveInt(req.url, "per_page", this.pageSize)
    if (page === undefined || perPage === undefined) return json(400, { error: "invalid page or per_page" })
    let selected: ReadonlyArray<Order> = this.orders
    if (rest === "/orders") {
      const raw = req.url.searchParams.get("updated_since")
      if (raw !== null && raw !== "") {
        const since = Date.parse(raw)
        if (Number.isNaN(since)) return json(400, { error: "invalid updated_since" })
        selected = this.orders.filter((o) => Date.parse(o.updated_at) >= since)
      }
    }
    return json(200, {
      orders: selected.slice((page - 1) * perPage, page * perPage),
      page,
      total_pages: Math.ceil(selected.length / perPage)
    })
  }

  readonly list = (): ReadonlyArray<Order> => [...this.orders]

  /** Advances the status (pending → paid → shipped → delivered → pending) and sets updated_at of each id. */
  readonly touch = (ids: ReadonlyArray<number>, at: string | Date): void => {
    const updated_at = isoFrom(at)
    for (const id of ids) {
      const idx = this.orders.findIndex((o) => o.id === id)
      if (idx < 0) throw new Error(`unknown order ${id}`)
      this.orders[idx] = { ...this.orders[idx], status: nextStatus(this.orders[idx].status), updated_at }
    }
  }

  /** Appends `n` orders (ids continue); updated_at = `at` or one hour after the latest updated_at, each. */
  readonly add = (n: number, at?: string | Date): ReadonlyArray<Order> => {
    const added: Array<Order> = []
    let last = latest(this.orders.map((o) => o.updated_at))
    range(n, () => {
      const id = this.orders.reduce((m, o) => Math.max(m, o.id), 0) + 1
      last = at === undefined ? last + HOUR : Date.parse(isoFrom(at))
      const order: Order = { ...orderAt(id), status: "pending", updated_at: isoOf(last) }
      this.orders.push(order)
      added.push(order)
    })
    return added
  }
}
