/**
 * A paginator decides, from one page, which request fetches the next one.
 *
 * Paginators here are stateless: everything they need to continue (offset, page number,
 * cursor, next URL) lives in the request itself, so the request is the state of
 * `Stream.paginateEffect` and a paginator can be shared by any number of streams.
 */
import { Data, Either, Option } from "effect"
import * as Expression from "../syntax/expression.js"

/** A request as the paginators see it: method, path (or absolute URL), query params, JSON body. */
export interface PageRequest {
  readonly method: "GET" | "POST"
  /** Path relative to the client's base URL, or an absolute http(s) URL. */
  readonly url: string
  readonly params: Readonly<Record<string, string>>
  /** JSON body (POST); undefined for none. */
  readonly json?: unknown
  /** Form body (dlt's `data`, POST): fields sent form-encoded, or raw text. Exclusive with `json`. */
  readonly form?: FormBody | undefined
}

export type FormBody =
  | { readonly _tag: "Fields"; readonly fields: ReadonlyArray<readonly [string, string]> }
  | { readonly _tag: "Raw"; readonly text: string }

export { body, type PageScope, type Placement, query, type StopCondition } from "../config/paginatorSpec.js"
import type { PageScope, Placement, StopCondition } from "../config/paginatorSpec.js"

/** Sets a value at a placement (immutably). */
export const place = (request: PageRequest, placement: Placement, value: string | number): PageRequest => {
  if (placement._tag === "Query") return withParams(request, { [placement.name]: String(value) })
  return { ...request, json: setIn(request.json, placement.path, value) }
}

/** Reads the value at a placement, if the request carries one. */
export const placed = (request: PageRequest, placement: Placement): unknown => {
  if (placement._tag === "Query") return request.params[placement.name]
  let node: unknown = request.json
  for (const key of placement.path) node = isRecord(node) ? node[key] : undefined
  return node
}

const setIn = (node: unknown, path: ReadonlyArray<string>, value: unknown): unknown => {
  if (path.length === 0) return value
  const [head, ...rest] = path
  const base: Readonly<Record<string, unknown>> = isRecord(node) ? node : {}
  return { ...base, [head]: setIn(base[head], rest, value) }
}

/** What a paginator learns from a page. */
export interface Page {
  readonly request: PageRequest
  /** Absolute URL the page was fetched from (with query string). */
  readonly url: string
  readonly body: unknown
  /** Response headers, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>
  /** Records picked by the data selector (before Schema decoding). */
  readonly records: ReadonlyArray<unknown>
  /** 0-based index of the page within the resource. */
  readonly index: number
}

export class PaginationError extends Data.TaggedError("PaginationError")<{
  readonly message: string
}> {}

export interface Paginator {
  readonly type: string
  /** Adds the paginator's parameters to the first request. */
  readonly first: (request: PageRequest) => PageRequest
  /**
   * The next request, or None when the page was the last. Runs on every page: written as plain
   * code, not `Either.gen(function*() {...})`. A generator closure made per call gets a V8
   * hidden class of its own, in old space, which keeps what the closure captured (here the
   * page and its body) alive through young-generation GCs until the next full GC. Measured:
   * every page of a sync was promoted to the old generation.
   */
  readonly next: (page: Page) => Either.Either<Option.Option<PageRequest>, PaginationError>
  /**
   * Every request after the first page, when the first page tells them all (a total or a
   * maximum) and the paginator was asked to fetch pages concurrently; None: page one by one.
   */
  readonly plan?: ((first: Page) => Either.Either<Option.Option<PagePlan>, PaginationError>) | undefined
}

/** The rest of an endpoint's pages, known up front: requests 1..count, fetched `concurrency` at a time. */
export interface PagePlan {
  readonly count: number
  readonly request: (index: number) => PageRequest
  readonly concurrency: number
}

export const pageScope = (page: Page): PageScope => ({
  response: page.body,
  headers: page.headers,
  last_page: page.records,
  last_record: page.records.length > 0 ? page.records[page.records.length - 1] : null,
  last_page_size: page.records.length,
  page_index: page.index
})

/** Evaluates a page expression (stop_condition, cursor_value) to its raw value. */
export const evaluateOnPage = (
  condition: StopCondition,
  page: Page,
  what: string
): Either.Either<unknown, PaginationError> => {
  const scope = pageScope(page)
  if (condition._tag === "Function") {
    try {
      return Either.right(condition.f(scope))
    } catch (cause) {
      return Either.left(new PaginationError({ message: `${what} function threw: ${String(cause)}` }))
    }
  }
  return Expression.evaluate(condition.expression, { ...scope }).pipe(
    Either.mapLeft((e) => new PaginationError({ message: `${what} ${JSON.stringify(e.expression)} failed: ${e.message}` }))
  )
}

/** True when a stop condition is given and says stop. */
export const shouldStop = (
  condition: StopCondition | undefined,
  page: Page
): Either.Either<boolean, PaginationError> =>
  condition === undefined
    ? Either.right(false)
    : Either.map(evaluateOnPage(condition, page, "stop_condition"), Expression.isTruthy)

export const withParams = (request: PageRequest, params: Readonly<Record<string, string>>): PageRequest => ({
  ...request,
  params: { ...request.params, ...params }
})

/** Two requests that would fetch the same page (a paginator repeating itself loops). */
export const sameRequest = (a: PageRequest, b: PageRequest): boolean => {
  if (a.url !== b.url || a.method !== b.method) return false
  const ka = Object.keys(a.params)
  if (ka.length !== Object.keys(b.params).length || !ka.every((k) => a.params[k] === b.params[k])) return false
  return JSON.stringify(a.json) === JSON.stringify(b.json) && JSON.stringify(a.form) === JSON.stringify(b.form)
}

/** `true` for a JSON record, used when reading totals / flags from bodies. */
export const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** dlt's has_more rule: a bool or a bool string; anything else is an error. */
export const readBoolean = (value: unknown, path: string): Either.Either<boolean, PaginationError> => {
  if (typeof value === "boolean") return Either.right(value)
  if (value === "true" || value === "True") return Either.right(true)
  if (value === "false" || value === "False") return Either.right(false)
  return Either.left(
    new PaginationError({ message: `expected a boolean at '${path}' in the response, found ${JSON.stringify(value) ?? "nothing"}` })
  )
}

/** dlt's total rule: an integer or an integer string; anything else is an error. */
export const readInteger = (value: unknown, path: string): Either.Either<number, PaginationError> => {
  if (typeof value === "number" && Number.isInteger(value)) return Either.right(value)
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Either.right(Number(value))
  return Either.left(
    new PaginationError({
      message: `expected an integer at '${path}' in the response, found ${JSON.stringify(value) ?? "nothing"}` +
        ` (set total_path: null if the API gives no total)`
    })
  )
}
