/**
 * `header_link` (dlt's HeaderLinkPaginator): the next page's URL is in the RFC 8288 `Link`
 * response header, under the relation `links_next_key` (default `next`), as GitHub does.
 */
import type { HeaderLinkOptions } from "../config/paginatorSpec.js"
import { Either, Option } from "effect"
import { type Page, type PagePlan, PaginationError, type Paginator, shouldStop } from "./paginator.js"

export type { HeaderLinkOptions } from "../config/paginatorSpec.js"

export interface Link {
  /** The target as written between `<` and `>` (trimmed, not yet resolved). */
  readonly url: string
  /** The relation types of the link's first `rel` parameter, as written (compare case-insensitively). */
  readonly rels: ReadonlyArray<string>
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n"

/**
 * Parses a `Link` header value (RFC 8288 §3): several comma-separated links, each
 * `<url>` followed by `; name=value` parameters whose values are tokens or quoted strings.
 * The URL is read up to `>`, so commas and semicolons inside it are kept. A malformed link
 * is skipped up to the next comma instead of failing the header, since servers get this wrong.
 */
export const parseLinkHeader = (value: string): ReadonlyArray<Link> => {
  const links: Array<Link> = []
  let pos = 0
  const skipSpace = () => {
    while (isSpace(value[pos])) pos++
  }
  // Skips to just after the next comma outside a quoted string (recovery from bad input).
  const skipToComma = () => {
    let quoted = false
    while (pos < value.length) {
      const c = value[pos++]
      if (quoted && c === "\\") pos++
      else if (c === "\"") quoted = !quoted
      else if (!quoted && c === ",") return
    }
  }
  const readToken = (): string => {
    const start = pos
    while (pos < value.length && !isSpace(value[pos]) && !";,=\"".includes(value[pos])) pos++
    return value.slice(start, pos)
  }
  const readQuoted = (): string => {
    let out = ""
    pos++ // opening quote
    while (pos < value.length && value[pos] !== "\"") {
      if (value[pos] === "\\" && pos + 1 < value.length) pos++
      out += value[pos++]
    }
    pos++ // closing quote (or past the end)
    return out
  }

  while (pos < value.length) {
    skipSpace()
    if (value[pos] === ",") {
      pos++
      continue
    }
    if (pos >= value.length) break
    if (value[pos] !== "<") {
      skipToComma()
      continue
    }
    const close = value.indexOf(">", pos + 1)
    if (close < 0) break
    const url = value.slice(pos + 1, close).trim()
    pos = close + 1
    let rel: string | undefined
    for (;;) {
      skipSpace()
      if (value[pos] !== ";") break
      pos++
      skipSpace()
      const name = readToken().toLowerCase()
      skipSpace()
      let paramValue = ""
      if (value[pos] === "=") {
        pos++
        skipSpace()
        paramValue = value[pos] === "\"" ? readQuoted() : readToken()
      }
      // RFC 8288 §3.3: occurrences of rel after the first are ignored.
      if (name === "rel" && rel === undefined) rel = paramValue
    }
    // Anything but a comma here is junk after the link's parameters.
    if (pos < value.length && value[pos] !== ",") skipToComma()
    links.push({ url, rels: rel === undefined ? [] : rel.split(/\s+/).filter((r) => r.length > 0) })
  }
  return links
}

/** The target of the first link with the given relation type (case-insensitive, RFC 8288 §2.1.1). */
export const findLink = (links: ReadonlyArray<Link>, rel: string): Link | undefined => {
  const wanted = rel.toLowerCase()
  return links.find((link) => link.rels.some((r) => r.toLowerCase() === wanted))
}

/** Reads a header by name, whatever the case of the stored names. */
export const header = (headers: Readonly<Record<string, string>>, name: string): string | undefined => {
  const wanted = name.toLowerCase()
  if (Object.hasOwn(headers, wanted)) return headers[wanted]
  const key = Object.keys(headers).find((k) => k.toLowerCase() === wanted)
  return key === undefined ? undefined : headers[key]
}

/** The link of the page's `Link` header with the given relation, if any. */
export const linkOf = (page: Page, rel: string): Link | undefined => {
  const value = header(page.headers, "link")
  return value === undefined ? undefined : findLink(parseLinkHeader(value), rel)
}

/**
 * The rest of the pages when the first page's links number them (GitHub: `rel="next"` is
 * `?page=2`, `rel="last"` is `?page=34`): the one query parameter in which the two differ, an
 * integer in both, counts from next to last. Anything else (cursors in the links, no last
 * link, two parameters that differ) pages one by one.
 */
const planFrom = (page: Page, nextUrl: string, options: HeaderLinkOptions): Either.Either<Option.Option<PagePlan>, PaginationError> => {
  const last = linkOf(page, "last")
  if (last === undefined || !URL.canParse(last.url, page.url)) return Either.right(Option.none())
  const next = new URL(nextUrl)
  const end = new URL(last.url, page.url)
  if (next.origin !== end.origin || next.pathname !== end.pathname) return Either.right(Option.none())
  const names = new Set([...next.searchParams.keys(), ...end.searchParams.keys()])
  const differing = [...names].filter((name) => next.searchParams.getAll(name).join("&") !== end.searchParams.getAll(name).join("&"))
  if (differing.length !== 1) return Either.right(Option.none())
  const name = differing[0]
  const from = integerParam(next, name)
  const to = integerParam(end, name)
  if (from === undefined || to === undefined || to < from || to - from + 1 > maxPlanned) return Either.right(Option.none())
  return Either.right(Option.some<PagePlan>({
    count: to - from + 1,
    request: (index) => {
      const url = new URL(next)
      url.searchParams.set(name, String(from + index - 1))
      return { ...page.request, url: url.toString(), params: {} }
    },
    concurrency: options.concurrency ?? 1
  }))
}

const integerParam = (url: URL, name: string): number | undefined => {
  const values = url.searchParams.getAll(name)
  return values.length === 1 && /^\d{1,15}$/.test(values[0]) ? Number(values[0]) : undefined
}

/** Planned pages beyond this are fetched one by one: a bogus last link must not plan a billion requests. */
const maxPlanned = 1_000_000

/** The next page's absolute URL from the page's links; undefined: no next page. */
const nextUrlOf = (page: Page, options: HeaderLinkOptions): Either.Either<string | undefined, PaginationError> => {
  const link = linkOf(page, options.linksNextKey)
  if (link === undefined || link.url === "") return Either.right(undefined)
  // Relative targets resolve against the URL of the page that carried them (RFC 8288 §3.2).
  return URL.canParse(link.url, page.url)
    ? Either.right(new URL(link.url, page.url).toString())
    : Either.left(new PaginationError({ message: `the Link header's rel="${options.linksNextKey}" target is not a valid URL: ${link.url}` }))
}

export const make = (options: HeaderLinkOptions): Paginator => ({
  type: "header_link",
  first: (request) => request,
  plan: (options.concurrency ?? 1) <= 1 || options.stopCondition !== undefined
    ? undefined
    : (page) =>
      Either.flatMap(nextUrlOf(page, options), (next) => (next === undefined ? Either.right(Option.none()) : planFrom(page, next, options))),
  next: (page) => {
    const stop = shouldStop(options.stopCondition, page)
    if (Either.isLeft(stop)) return Either.left(stop.left)
    if (stop.right) return Either.right(Option.none())
    const url = nextUrlOf(page, options)
    if (Either.isLeft(url)) return Either.left(url.left)
    if (url.right === undefined) return Either.right(Option.none())
    // The link carries its own query, so the previous params would be duplicated.
    return Either.right(Option.some({ ...page.request, url: url.right, params: {} }))
  }
})
