/**
 * `offset` and `page_number` (dlt's RangePaginator family): a number in the query that
 * advances by a step, with dlt's stop rules. The current position is read back from the
 * request's params, so the paginator itself holds no state.
 */
import type { RangeOptions } from "../config/paginatorSpec.js"
import { Either, Option } from "effect"
import * as DataSelector from "../syntax/dataSelector.js"
import {
  type Page,
  type PagePlan,
  PaginationError,
  type Paginator,
  place,
  placed,
  readBoolean,
  readInteger,
  shouldStop
} from "./paginator.js"

export type { RangeOptions } from "../config/paginatorSpec.js"

const current = (page: Page, options: RangeOptions): Either.Either<number, PaginationError> => {
  const raw = placed(page.request, options.placement)
  const n = raw === undefined ? options.initial : Number(raw)
  return Number.isFinite(n)
    ? Either.right(n)
    : Either.left(new PaginationError({ message: `the request's ${options.type} position is not a number: ${String(raw)}` }))
}

/** The position after which no page is fetched, as far as the first page tells. */
const end = (page: Page, options: RangeOptions): Either.Either<number | undefined, PaginationError> =>
  Either.gen(function*() {
    let last = options.maximum
    if (options.totalPath !== undefined) {
      const total = yield* readInteger(DataSelector.readPath(options.totalPath, page.body), options.totalPath.source)
      const byTotal = total + options.totalShift
      last = last === undefined ? byTotal : Math.min(last, byTotal)
    }
    return last
  })

/** Planned pages beyond this are fetched one by one: a bogus total must not plan a billion requests. */
const maxPlanned = 1_000_000

export const make = (options: RangeOptions): Paginator => ({
  type: options.type,
  plan: (options.concurrency ?? 1) <= 1 || options.hasMorePath !== undefined || options.stopCondition !== undefined
    ? undefined
    : (page) =>
      Either.gen(function*() {
        const start = yield* current(page, options)
        const last = yield* end(page, options)
        if (last === undefined) return Option.none<PagePlan>()
        const count = Math.ceil((last - start) / options.step) - 1
        if (count < 1 || count > maxPlanned) return Option.none<PagePlan>()
        return Option.some<PagePlan>({
          count,
          request: (index) => place(page.request, options.placement, start + index * options.step),
          concurrency: options.concurrency ?? 1
        })
      }),
  first: (request) =>
    place(
      options.fixed === undefined ? request : place(request, options.fixed.placement, options.fixed.value),
      options.placement,
      options.initial
    ),
  next: (page) => {
    const stop = shouldStop(options.stopCondition, page)
    if (Either.isLeft(stop)) return Either.left(stop.left)
    if (stop.right) return Either.right(Option.none())
    if (options.stopAfterEmptyPage && page.records.length === 0) return Either.right(Option.none())
    const at = current(page, options)
    if (Either.isLeft(at)) return Either.left(at.left)
    const position = at.right + options.step
    // A maximum always wins, even over has_more (dlt#4225 over-fetches here).
    if (options.maximum !== undefined && position >= options.maximum) return Either.right(Option.none())
    if (options.hasMorePath !== undefined) {
      const hasMore = readBoolean(DataSelector.readPath(options.hasMorePath, page.body), options.hasMorePath.source)
      if (Either.isLeft(hasMore)) return Either.left(hasMore.left)
      if (!hasMore.right) return Either.right(Option.none())
    } else if (options.totalPath !== undefined) {
      const total = readInteger(DataSelector.readPath(options.totalPath, page.body), options.totalPath.source)
      if (Either.isLeft(total)) return Either.left(total.left)
      if (position >= total.right + options.totalShift) return Either.right(Option.none())
    }
    return Either.right(Option.some(place(page.request, options.placement, position)))
  }
})
