/**
 * The header-cursor style (`bases.headercursor`): a bare JSON array per page, the next cursor in a
 * response header.
 * - `GET events?cursor=<opaque>&limit=<eventsPageSize>` → `HeaderEvent[]`; the header
 *   `X-Next-Cursor` carries the next cursor and is absent on the last page. A garbled cursor →
 *   `400 {"error": "invalid cursor"}`.
 */
import { isoOf } from "./parityDates.js"
import { json, methodNotAllowed, type ParityStyle, positiveInt, type Reply, type Req } from "./parityHttp.js"

export interface HeaderCursorOptions {
  /** Header cursor: number of events. Default 23. */
  readonly events?: number
  /** Header cursor: events per page (the `limit` query param overrides). Default 10. */
  readonly eventsPageSize?: number
}

export interface HeaderEvent {
  readonly id: string
  readonly type: string
  readonly occurred_at: string
  readonly payload: { readonly n: number }
}

/** Event `i` (1-based). */
export const headerEventAt = (i: number): HeaderEvent => ({
  id: `evt_${String(i).padStart(5, "0")}`,
  type: ["created", "updated", "deleted"][i % 3],
  occurred_at: isoOf(Date.UTC(2024, 1, 1) + i * 60_000),
  payload: { n: i }
})

const encodeCursor = (offset: number) => Buffer.from(`evt:${offset}`).toString("base64url")
const decodeCursor = (c: string): number | undefined => {
  const m = /^evt:(\d+)$/.exec(Buffer.from(c, "base64url").toString("utf8"))
  return m === null ? undefined : Number(m[1])
}

export class HeaderCursorStyle implements ParityStyle {
  readonly prefix = "/headercursor"
  private count = 0
  private readonly pageSize: number

  constructor(private readonly options: HeaderCursorOptions) {
    this.pageSize = options.eventsPageSize ?? 10
    this.reset()
  }

  readonly reset = (): void => {
    this.count = this.options.events ?? 23
  }

  readonly add = (n: number): void => {
    this.count += n
  }

  readonly handle = (req: Req, rest: string): Reply => {
    if (rest !== "/events") return json(404, { message: "Not Found" })
    if (req.method !== "GET") return methodNotAllowed("GET")
    const limit = positiveInt(req.url, "limit", this.pageSize)
    if (limit === undefined) return json(400, { error: "invalid limit" })
    const cursor = req.url.searchParams.get("cursor")
    const offset = cursor === null || cursor === "" ? 0 : decodeCursor(cursor)
    if (offset === undefined) return json(400, { error: "invalid cursor" })
    const page: Array<HeaderEvent> = []
    for (let i = offset + 1; i <= Math.min(offset + limit, this.count); i++) page.push(headerEventAt(i))
    const headers: Record<string, string> = offset + limit < this.count ? { "x-next-cursor": encodeCursor(offset + limit) } : {}
    return json(200, page, headers)
  }
}
