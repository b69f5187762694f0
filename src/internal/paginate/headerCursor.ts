/**
 * `header_cursor` (dlt's HeaderCursorPaginator): the next cursor is a response header
 * (`cursor_key`, default `next`, matched case-insensitively) and is sent back as
 * `cursor_param` (default `cursor`). Paging stops when the header is absent or empty.
 */
import type { HeaderCursorOptions } from "../config/paginatorSpec.js"
import { Either, Option } from "effect"
import { header } from "./headerLink.js"
import { type Paginator, place, shouldStop } from "./paginator.js"

export type { HeaderCursorOptions } from "../config/paginatorSpec.js"

export const make = (options: HeaderCursorOptions): Paginator => ({
  type: "header_cursor",
  first: (request) => request,
  next: (page) => {
    const stop = shouldStop(options.stopCondition, page)
    if (Either.isLeft(stop)) return Either.left(stop.left)
    if (stop.right) return Either.right(Option.none())
    const cursor = header(page.headers, options.cursorKey)?.trim()
    if (cursor === undefined || cursor === "") return Either.right(Option.none())
    // Other params (filters, limit) stay; only the cursor changes from page to page.
    return Either.right(Option.some(place(page.request, options.cursorPlacement, cursor)))
  }
})
