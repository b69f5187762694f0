/**
 * The POST search style (`bases.search`): page number and size in the JSON body.
 * - `POST items` with `Content-Type: application/json` (else 415) and body
 *   `{"query"?: {"category"?: string, "text"?: string}, "page"?: {"number"?: 1, "size"?: 10}}`
 *   → `{items: SearchItem[], total_pages, page}` (number 1-based, size 1..100; bad JSON or bad
 *   shape → `400 {"error": "..."}`). `GET` → `405` with `Allow: POST`.
 */
import { isObject, json, methodNotAllowed, type ParityStyle, range, type Reply, type Req } from "./parityHttp.js"

export interface SearchOptions {
  /** POST search: number of items. Default 37. */
  readonly searchItems?: number
}

export interface SearchItem {
  readonly id: number
  readonly name: string
  readonly category: string
  readonly score: number
  readonly tags: ReadonlyArray<string>
}

const SEARCH_CATEGORIES = ["books", "games", "tools"]

/** Search item `i` (1-based); category `["books","games","tools"][i % 3]`. */
export const searchItemAt = (i: number): SearchItem => ({
  id: i,
  name: `Item ${i}`,
  category: SEARCH_CATEGORIES[i % 3],
  score: Math.round(((i * 37) % 100) * 1.5) / 10,
  tags: i % 4 === 0 ? [] : [`t${i % 4}`]
})

export class SearchStyle implements ParityStyle {
  readonly prefix = "/search"
  private count = 0

  constructor(private readonly options: SearchOptions) {
    this.reset()
  }

  readonly reset = (): void => {
    this.count = this.options.searchItems ?? 37
  }

  readonly add = (n: number): void => {
    this.count += n
  }

  readonly handle = (req: Req, rest: string): Reply => {
    if (rest !== "/items") return json(404, { message: "Not Found" })
    if (req.method !== "POST") return methodNotAllowed("POST")
    if (!req.contentType.includes("json")) return json(415, { error: "expected Content-Type: application/json" })
    if (req.body === undefined) return json(400, { error: "invalid JSON body" })
    if (!isObject(req.body)) return json(400, { error: "body must be a JSON object" })
    const query = req.body["query"] ?? {}
    const page = req.body["page"] ?? {}
    if (!isObject(query)) return json(400, { error: "query must be an object" })
    if (!isObject(page)) return json(400, { error: "page must be an object" })
    const number = page["number"] ?? 1
    const size = page["size"] ?? 10
    if (typeof number !== "number" || !Number.isInteger(number) || number < 1) {
      return json(400, { error: "page.number must be a positive integer" })
    }
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 100) {
      return json(400, { error: "page.size must be an integer in 1..100" })
    }
    const category = query["category"]
    const text = query["text"]
    if (category !== undefined && typeof category !== "string") return json(400, { error: "query.category must be a string" })
    if (text !== undefined && typeof text !== "string") return json(400, { error: "query.text must be a string" })
    const matching: Array<SearchItem> = []
    range(this.count, (i) => {
      const item = searchItemAt(i)
      if (category !== undefined && item.category !== category) return
      if (text !== undefined && !item.name.toLowerCase().includes(text.toLowerCase())) return
      matching.push(item)
    })
    return json(200, {
      items: matching.slice((number - 1) * size, number * size),
      total_pages: Math.ceil(matching.length / size),
      page: number
    })
  }
}
