/** `json_link` (dlt's JSONLinkPaginator): the next page's URL is in the body. */
import type { JsonLinkOptions } from "../config/paginatorSpec.js"
import { Either, Option } from "effect"
import * as DataSelector from "../syntax/dataSelector.js"
import { PaginationError, type Paginator, shouldStop } from "./paginator.js"

export type { JsonLinkOptions } from "../config/paginatorSpec.js"

export const make = (options: JsonLinkOptions): Paginator => ({
  type: "json_link",
  first: (request) => request,
  next: (page) => {
    const stop = shouldStop(options.stopCondition, page)
    if (Either.isLeft(stop)) return Either.left(stop.left)
    if (stop.right) return Either.right(Option.none())
    const next = DataSelector.readPath(options.nextUrlPath, page.body)
    if (next === undefined || next === null || next === "") return Either.right(Option.none())
    if (typeof next !== "string") {
      return Either.left(
        new PaginationError({ message: `next_url_path '${options.nextUrlPath.source}' must hold a URL string, found ${JSON.stringify(next)}` })
      )
    }
    // Relative links resolve against the URL of the page that carried them; the link
    // carries its own query, so the previous params are dropped (dlt#1514).
    return Either.right(Option.some({ ...page.request, url: new URL(next, page.url).toString(), params: {} }))
  }
})
