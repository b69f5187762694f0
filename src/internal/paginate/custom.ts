/**
 * A paginator written in TypeScript by the user, passed as `paginator` in a TypeScript config:
 *
 * ```ts
 * paginator: {
 *   next: (page) => page.body.has_more ? { ...page.request, params: { ...page.request.params, after: lastId(page) } } : null
 * }
 * ```
 *
 * - `first` (optional) adds params to the first request; it must not throw (a throw is a defect,
 *   since `Paginator.first` cannot fail).
 * - `next` returns the next request, or `null`/`undefined` after the last page. A throw fails
 *   the stream with a `PaginationError` carrying the thrown message; so does a return value
 *   that is not a request.
 * - A paginator object is shared by every stream of the resource, so it should keep no state.
 *   For state (a page counter, a seen-ids set), pass a factory `() => CustomPaginator`: it is
 *   called once per stream run.
 *
 * An object counts as a custom paginator when it has a `next` function and no `type` key
 * (`type` marks the built-in paginators' config objects).
 */
import { Either, Option, Predicate } from "effect"
import { type FormBody, type Page, type PageRequest, PaginationError, type Paginator } from "./paginator.js"

export interface CustomPaginator {
  /** Adds the paginator's params to the first request (optional). */
  readonly first?: (request: PageRequest) => PageRequest
  /** The next request, or null/undefined when the page was the last. May throw to fail. */
  readonly next: (page: Page) => PageRequest | null | undefined
}

/** Makes a fresh (possibly stateful) custom paginator for each stream run. */
export type CustomPaginatorFactory = () => CustomPaginator

export const isCustomPaginator = (u: unknown): u is CustomPaginator =>
  Predicate.hasProperty(u, "next") && Predicate.isFunction(u.next) && !Predicate.hasProperty(u, "type") &&
  (!Predicate.hasProperty(u, "first") || u.first === undefined || Predicate.isFunction(u.first))

/** Any function: what it returns is only checked when it is called (in `makeFromFactory`). */
export const isCustomPaginatorFactory = (u: unknown): u is CustomPaginatorFactory =>
  Predicate.isFunction(u) && !isCustomPaginator(u)

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** A custom paginator whose every page fails with `reason` (a bad value fails the stream, not the process). */
const failing = (reason: string): CustomPaginator => ({
  next: () => {
    throw new Error(reason)
  }
})

/**
 * Checks a value from untyped code (a JavaScript config, a factory's result). Anything that
 * is not a custom paginator becomes one that fails the stream on its first page with the reason.
 */
export const fromUnknown = (u: unknown): CustomPaginator =>
  isCustomPaginator(u)
    ? u
    : failing(`expected an object with a 'next' function (and no 'type' key), found ${describeValue(u)}`)

const describeValue = (u: unknown): string => {
  if (u === null || u === undefined) return String(u)
  if (Predicate.isFunction(u)) return "a function"
  if (Array.isArray(u)) return "an array"
  if (typeof u === "object") return `an object with keys [${Object.keys(u).join(", ")}]`
  return JSON.stringify(u) ?? typeof u
}

const isParams = (u: unknown): u is Readonly<Record<string, string>> =>
  Predicate.isRecord(u) && Object.values(u).every(Predicate.isString)

const toForm = (u: unknown): FormBody | null => {
  if (!Predicate.isRecord(u)) return null
  if (u._tag === "Raw" && Predicate.isString(u.text)) return { _tag: "Raw", text: u.text }
  if (u._tag === "Fields" && Array.isArray(u.fields)) {
    const fields: Array<readonly [string, string]> = []
    for (const f of u.fields) {
      if (!Array.isArray(f) || f.length !== 2 || !Predicate.isString(f[0]) || !Predicate.isString(f[1])) return null
      fields.push([f[0], f[1]])
    }
    return { _tag: "Fields", fields }
  }
  return null
}

/** The value returned by `next`, checked: user code is not type-checked at runtime. */
const toRequest = (u: unknown): Either.Either<PageRequest, string> => {
  if (!Predicate.isRecord(u)) return Either.left(`expected a request object, null or undefined, found ${describeValue(u)}`)
  if (u.method !== "GET" && u.method !== "POST") return Either.left(`the request's method must be "GET" or "POST", found ${describeValue(u.method)}`)
  if (!Predicate.isString(u.url)) return Either.left(`the request's url must be a string, found ${describeValue(u.url)}`)
  const params = u.params === undefined ? {} : u.params
  if (!isParams(params)) return Either.left("the request's params must be an object of string values")
  const form = u.form === undefined ? undefined : toForm(u.form)
  if (form === null) return Either.left("the request's form must be the form of the request it came from (fields or raw text)")
  return Either.right({ method: u.method, url: u.url, params, json: u.json, form })
}

export const make = (custom: CustomPaginator | CustomPaginatorFactory): Paginator => {
  if (!isCustomPaginator(custom)) return makeFromFactory(custom)
  const first = custom.first
  return {
    type: "custom",
    first: (request) => (first === undefined ? request : first(request)),
    next: (page) => {
      let result: unknown
      try {
        result = custom.next(page)
      } catch (cause) {
        return Either.left(new PaginationError({ message: `custom paginator failed: ${message(cause)}` }))
      }
      if (result === null || result === undefined) return Either.right(Option.none())
      return Either.match(toRequest(result), {
        onLeft: (reason) => Either.left(new PaginationError({ message: `custom paginator's next returned a bad value: ${reason}` })),
        onRight: (request) => Either.right(Option.some(request))
      })
    }
  }
}

/** Calls the factory once (call this once per stream run); a throw or a bad result fails that stream. */
export const makeFromFactory = (factory: CustomPaginatorFactory): Paginator => {
  let created: unknown
  try {
    created = factory()
  } catch (cause) {
    return make(failing(`the paginator factory threw: ${message(cause)}`))
  }
  return make(fromUnknown(created))
}
