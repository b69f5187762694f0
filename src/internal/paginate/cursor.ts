/**
 * `cursor` (dlt's JSONResponseCursorPaginator) with our extensions: `limit`/`limit_param`,
 * the fall-back to the top-level key named by `cursor_param`, `stop_condition` and `cursor_value`.
 */
import type { CursorOptions } from "../config/paginatorSpec.js"
import { Either, Option } from "effect"
import * as DataSelector from "../syntax/dataSelector.js"
import {
  evaluateOnPage,
  type Page,
  PaginationError,
  type Paginator,
  place,
  readBoolean,
  shouldStop
} from "./paginator.js"

export type { CursorOptions } from "../config/paginatorSpec.js"

const defaultCursorPath = Either.getOrThrow(DataSelector.parse("cursors.next"))

const isMissing = (cursor: unknown): boolean => cursor === undefined || cursor === null || cursor === ""

export const make = (options: CursorOptions): Paginator => {
  const fallback = DataSelector.unsafeParse(`[${JSON.stringify(options.fallbackKey)}]`)

  const readCursor = (page: Page): Either.Either<unknown, PaginationError> => {
    if (options.cursorValue !== undefined) return evaluateOnPage(options.cursorValue, page, "cursor_value")
    if (options.cursorPath !== undefined) return Either.right(DataSelector.readPath(options.cursorPath, page.body))
    const nested = DataSelector.readPath(defaultCursorPath, page.body)
    return Either.right(nested !== undefined ? nested : DataSelector.readPath(fallback, page.body))
  }

  return {
    type: "cursor",
    first: (request) =>
      options.limit === undefined ? request : place(request, options.limitPlacement, options.limit),
    // Plain code, not Either.gen: see `Paginator.next`.
    next: (page) => {
      const stop = shouldStop(options.stopCondition, page)
      if (Either.isLeft(stop)) return Either.left(stop.left)
      if (stop.right) return Either.right(Option.none())
      if (options.stopAfterEmptyPage && page.records.length === 0) return Either.right(Option.none())
      if (options.hasMorePath !== undefined) {
        const hasMore = readBoolean(DataSelector.readPath(options.hasMorePath, page.body), options.hasMorePath.source)
        if (Either.isLeft(hasMore)) return Either.left(hasMore.left)
        if (!hasMore.right) return Either.right(Option.none())
      }
      const read = readCursor(page)
      if (Either.isLeft(read)) return Either.left(read.left)
      const cursor = read.right
      if (isMissing(cursor)) {
        // With a stop condition the API promised to tell us when to stop; a page without a
        // cursor that is not the last one would silently drop the rest of the data.
        if (options.stopCondition !== undefined) {
          return Either.left(
            new PaginationError({
              message: `stop_condition says there are more pages, but the response has no cursor (${describeCursorSource(options)})`
            })
          )
        }
        return Either.right(Option.none())
      }
      if (typeof cursor !== "string" && typeof cursor !== "number") {
        return Either.left(
          new PaginationError({
            message: `cursor (${describeCursorSource(options)}) must be a string or a number, found ${JSON.stringify(cursor)}`
          })
        )
      }
      return Either.right(Option.some(place(page.request, options.cursorPlacement, typeof cursor === "number" ? cursor : String(cursor))))
    }
  }
}

const describeCursorSource = (options: CursorOptions): string =>
  options.cursorValue !== undefined
    ? "cursor_value"
    : options.cursorPath !== undefined
    ? `cursor_path '${options.cursorPath.source}'`
    : `'cursors.next' or top-level '${options.fallbackKey}'`
