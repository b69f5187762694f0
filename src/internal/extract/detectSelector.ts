/**
 * dlt's data_selector detection (`find_response_page_data`), used when a resource gives
 * none: a list response is the page; otherwise the first list (up to 3 keys deep) under a
 * well-known key wins, else the least nested list; no list means a single object.
 */
import * as DataSelector from "../syntax/dataSelector.js"

const preferred = new Set([
  "data",
  "items",
  "results",
  "entries",
  "records",
  "rows",
  "entities",
  "payload",
  "content",
  "objects",
  "values"
])
const excluded = new Set(["meta", "metadata", "pagination", "links", "extras", "headers"])

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const selectorFor = (path: ReadonlyArray<string>): DataSelector.DataSelector =>
  DataSelector.unsafeParse(`$${path.map((k) => `[${JSON.stringify(k)}]`).join("")}`)

export const detectSelector = (body: unknown): DataSelector.DataSelector => {
  if (!isObject(body)) return DataSelector.root
  const lists: Array<ReadonlyArray<string>> = []
  const walk = (node: Readonly<Record<string, unknown>>, path: ReadonlyArray<string>) => {
    for (const [key, value] of Object.entries(node)) {
      if (excluded.has(key.toLowerCase())) continue
      const at = [...path, key]
      if (Array.isArray(value)) lists.push(at)
      else if (isObject(value) && at.length < 3) walk(value, at)
    }
  }
  walk(body, [])
  const known = lists.find((path) => preferred.has(path[path.length - 1].toLowerCase()))
  if (known !== undefined) return selectorFor(known)
  if (lists.length === 0) return DataSelector.root
  const shallowest = lists.reduce((best, path) => (path.length < best.length ? path : best))
  return selectorFor(shallowest)
}
