import { assert, describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import * as Auto from "../../src/internal/paginate/auto.js"
import * as Custom from "../../src/internal/paginate/custom.js"
import * as HeaderCursor from "../../src/internal/paginate/headerCursor.js"
import * as HeaderLink from "../../src/internal/paginate/headerLink.js"
import { type Page, type PageRequest, type Paginator, query, type StopCondition } from "../../src/internal/paginate/paginator.js"

const base = "https://api.test/v1/"

const page = (
  request: PageRequest,
  body: unknown,
  options: { readonly records?: ReadonlyArray<unknown>; readonly headers?: Record<string, string>; readonly index?: number } = {}
): Page => {
  const url = new URL(request.url, base)
  for (const [k, v] of Object.entries(request.params)) url.searchParams.set(k, v)
  return {
    request,
    url: url.toString(),
    body,
    headers: options.headers ?? {},
    records: options.records ?? [1],
    index: options.index ?? 0
  }
}

const next = (p: Paginator, pg: Page): Option.Option<PageRequest> =>
  Either.getOrThrowWith(p.next(pg), (e) => new Error(e.message))
const nextRequest = (p: Paginator, pg: Page): PageRequest => Option.getOrThrow(next(p, pg))
const isLast = (p: Paginator, pg: Page): boolean => Option.isNone(next(p, pg))
const nextError = (p: Paginator, pg: Page): string => {
  const result = p.next(pg)
  assert(Either.isLeft(result))
  return result.left.message
}

const start: PageRequest = { method: "GET", url: "items", params: { per_page: "10" } }
const stopWhen = (f: (response: unknown) => boolean): StopCondition => ({ _tag: "Function", f: (scope) => f(scope.response) })

const github =
  "<https://api.github.com/repositories/1/issues?page=2>; rel=\"next\", <https://api.github.com/repositories/1/issues?page=5>; rel=\"last\""

describe("parseLinkHeader", () => {
  it("GitHub's format", () => {
    expect(HeaderLink.parseLinkHeader(github)).toEqual([
      { url: "https://api.github.com/repositories/1/issues?page=2", rels: ["next"] },
      { url: "https://api.github.com/repositories/1/issues?page=5", rels: ["last"] }
    ])
  })

  it("unquoted rel, several rels, odd spacing and other params", () => {
    const links = HeaderLink.parseLinkHeader(
      " <https://a.test/p?x=1>;rel=next ,<https://a.test/last> ; title=\"Last; page, really\" ; rel=\"last  prev\""
    )
    expect(links).toEqual([
      { url: "https://a.test/p?x=1", rels: ["next"] },
      { url: "https://a.test/last", rels: ["last", "prev"] }
    ])
    expect(HeaderLink.findLink(links, "PREV")?.url).toBe("https://a.test/last")
  })

  it("commas and semicolons inside <...> stay part of the URL", () => {
    const links = HeaderLink.parseLinkHeader("<https://a.test/items?ids=1,2,3;matrix=x>; rel=\"next\", </rel;ative>; rel=last")
    expect(links.map((l) => l.url)).toEqual(["https://a.test/items?ids=1,2,3;matrix=x", "/rel;ative"])
  })

  it("only the first rel counts, escaped quotes, links without rel, junk is skipped", () => {
    expect(HeaderLink.parseLinkHeader("<a>; rel=\"next\"; rel=\"prev\"")).toEqual([{ url: "a", rels: ["next"] }])
    expect(HeaderLink.parseLinkHeader("<a>; title=\"say \\\"hi\\\", ok\"; rel=next")).toEqual([{ url: "a", rels: ["next"] }])
    expect(HeaderLink.parseLinkHeader("<a>; type=\"text/html\"")).toEqual([{ url: "a", rels: [] }])
    expect(HeaderLink.parseLinkHeader("garbage, <b>; rel=next")).toEqual([{ url: "b", rels: ["next"] }])
    expect(HeaderLink.parseLinkHeader("<b>; rel=next junk, <c>; rel=last")).toEqual([
      { url: "b", rels: ["next"] },
      { url: "c", rels: ["last"] }
    ])
    expect(HeaderLink.parseLinkHeader("")).toEqual([])
    expect(HeaderLink.parseLinkHeader("<unterminated; rel=next")).toEqual([])
  })
})

describe("header_link paginator", () => {
  const p = HeaderLink.make({ linksNextKey: "next", stopCondition: undefined })

  it("follows rel=next, drops the previous params, keeps method and body", () => {
    const post: PageRequest = { method: "POST", url: "search", params: { q: "x" }, json: { filter: 1 } }
    const req = nextRequest(p, page(post, [], { headers: { link: github } }))
    expect(req).toEqual({ method: "POST", url: "https://api.github.com/repositories/1/issues?page=2", params: {}, json: { filter: 1 } })
  })

  it("resolves a relative target against the page URL", () => {
    const req = nextRequest(p, page(start, [], { headers: { link: "<items?page=2>; rel=\"next\"" } }))
    expect(req.url).toBe("https://api.test/v1/items?page=2")
    const abs = nextRequest(p, page(start, [], { headers: { link: "</v2/items?page=2>; rel=next" } }))
    expect(abs.url).toBe("https://api.test/v2/items?page=2")
  })

  it("stops without a Link header or without rel=next", () => {
    expect(isLast(p, page(start, []))).toBe(true)
    expect(isLast(p, page(start, [], { headers: { link: "<https://a.test/1>; rel=\"prev\", <https://a.test/1>; rel=\"first\"" } }))).toBe(true)
  })

  it("a custom links_next_key, matched case-insensitively", () => {
    const q = HeaderLink.make({ linksNextKey: "forward", stopCondition: undefined })
    expect(nextRequest(q, page(start, [], { headers: { link: "<https://a.test/2>; rel=\"Forward\"" } })).url).toBe("https://a.test/2")
    expect(isLast(q, page(start, [], { headers: { link: github } }))).toBe(true)
  })

  it("stop_condition is checked first", () => {
    const q = HeaderLink.make({ linksNextKey: "next", stopCondition: stopWhen((r) => Array.isArray(r) && r.length === 0) })
    expect(isLast(q, page(start, [], { headers: { link: github } }))).toBe(true)
    expect(Option.isSome(next(q, page(start, [1], { headers: { link: github } })))).toBe(true)
  })

  it("a target that is no URL is an error", () => {
    expect(nextError(p, page(start, [], { headers: { link: "<http://[bad>; rel=next" } }))).toMatch(/not a valid URL/)
  })
})

describe("header_cursor paginator", () => {
  const p = HeaderCursor.make({ cursorKey: "next", cursorPlacement: query("cursor"), stopCondition: undefined })

  it("sends the header's value as cursor_param and keeps the other params", () => {
    expect(nextRequest(p, page(start, [1], { headers: { next: "abc" } })).params).toEqual({ per_page: "10", cursor: "abc" })
  })

  it("cursor_key is case-insensitive", () => {
    const q = HeaderCursor.make({ cursorKey: "X-Next-Token", cursorPlacement: query("nextToken"), stopCondition: undefined })
    expect(nextRequest(q, page(start, [1], { headers: { "x-next-token": "t2" } })).params).toEqual({ per_page: "10", nextToken: "t2" })
    // headers given in their original case are found too
    expect(nextRequest(q, page(start, [1], { headers: { "X-NEXT-TOKEN": "t3" } })).params.nextToken).toBe("t3")
  })

  it("stops when the header is absent or empty", () => {
    expect(isLast(p, page(start, [1]))).toBe(true)
    expect(isLast(p, page(start, [1], { headers: { next: "" } }))).toBe(true)
    expect(isLast(p, page(start, [1], { headers: { next: "  " } }))).toBe(true)
  })

  it("stop_condition is checked first", () => {
    const q = HeaderCursor.make({ cursorKey: "next", cursorPlacement: query("cursor"), stopCondition: stopWhen(() => true) })
    expect(isLast(q, page(start, [1], { headers: { next: "abc" } }))).toBe(true)
  })
})

describe("auto paginator", () => {
  const detected = (body: unknown, headers: Record<string, string> = {}) => Auto.detect(page(start, body, { headers }))

  it("(1) a Link header with rel=next wins over a body 'next'", () => {
    const d = detected({ data: [1], next: "https://api.test/v1/items?page=9" }, { link: github })
    expect(d.paginator.type).toBe("header_link")
    expect(d.score).toBe(1)
    // a Link header without rel=next does not count
    expect(detected({ next: "/items?page=2" }, { link: "<https://a.test/1>; rel=prev" }).paginator.type).toBe("json_link")
  })

  it("(2) json_link on a top-level, nested or next.href URL (http… or /…)", () => {
    expect(detected({ data: [1], next: "https://api.test/v1/items?page=2" }).description).toBe("json_link on 'next'")
    expect(detected({ data: [1], pagination: { nextPage: "/items?page=2" } }).description).toBe("json_link on 'pagination.nextPage'")
    expect(detected({ data: [1], links: { next: { href: "https://api.test/p2" } } }).description).toBe("json_link on 'links.next.href'")
    expect(detected({ data: [1], NEXT: { url: "/p2" } }).description).toBe("json_link on 'NEXT.url'")
    expect(detected({ data: [1], meta: { "next.link": "/p2" } }).description).toBe("json_link on '$[\"meta\"][\"next.link\"]'")
  })

  it("a null next is skipped; the first next* found decides (a non-URL is not searched past)", () => {
    expect(detected({ next: null, other: { next: "/p2" } }).description).toBe("json_link on 'other.next'")
    expect(detected({ next_cursor: "abc", links: { next: "/p2" } }).paginator.type).toBe("cursor")
  })

  it("(3) page_number from total_pages / pages / totalPages, with dlt's base_page 0", () => {
    const d = detected({ data: [1], meta: { totalPages: "3" }, next_page: 2 })
    expect(d.description).toBe("page_number with total_path 'meta.totalPages' (base_page 0, page_param 'page')")
    expect(d.score).toBe(0.5)
    expect(detected({ items: [1], pages: 2 }).paginator.type).toBe("page_number")
    expect(detected({ items: [1], total_pages: 2 }).paginator.type).toBe("page_number")
    // not an integer: no page_number
    expect(detected({ items: [1], total_pages: "many" }).paginator.type).toBe("single_page")
    expect(detected({ items: [1], page_count: 2 }).paginator.type).toBe("single_page")
  })

  it("(4) cursor on a next* key whose value is not a URL", () => {
    const d = detected({ data: [1], next_cursor: "abc" })
    expect(d.description).toBe("cursor on 'next_cursor' (cursor_param 'cursor')")
    expect(d.score).toBe(0.5)
    expect(detected({ data: [1], paging: { nextToken: 17 } }).description).toBe("cursor on 'paging.nextToken' (cursor_param 'cursor')")
  })

  it("(5) single_page otherwise; booleans are flags, not cursors", () => {
    expect(detected([1, 2]).paginator.type).toBe("single_page")
    expect(detected({ data: [1] }).score).toBe(0)
    expect(detected({ data: [1], next_page: true }).paginator.type).toBe("single_page")
  })

  it("remembers the choice: header_link continues on later pages, even if the body changes", () => {
    const p = Auto.make()
    expect(p.type).toBe("auto")
    expect(p.first(start)).toEqual(start)
    const r2 = nextRequest(p, page(start, { next: "abc" }, { headers: { link: "<https://api.test/v1/items?page=2>; rel=next" } }))
    expect(p.type).toBe("header_link")
    expect(Auto.detectionOf(p)?.description).toMatch(/^header_link/)
    expect(r2).toEqual({ method: "GET", url: "https://api.test/v1/items?page=2", params: {} })
    const r3 = nextRequest(p, page(r2, { next: "abc" }, { headers: { link: "<https://api.test/v1/items?page=3>; rel=next" }, index: 1 }))
    expect(r3.url).toBe("https://api.test/v1/items?page=3")
    expect(isLast(p, page(r3, { next: "abc" }, { index: 2 }))).toBe(true)
  })

  it("json_link continues and stops on a null next", () => {
    const p = Auto.make()
    const r2 = nextRequest(p, page(start, { data: [1], links: { next: { href: "/v1/items?page=2" } } }))
    expect(r2.url).toBe("https://api.test/v1/items?page=2")
    expect(r2.params).toEqual({})
    expect(isLast(p, page(r2, { data: [1], links: { next: null } }, { index: 1 }))).toBe(true)
  })

  it("page_number continues from page 1 (the first request had no page) and stops at total", () => {
    const p = Auto.make()
    const r2 = nextRequest(p, page(start, { data: [1], total_pages: 3 }))
    expect(r2.params).toEqual({ per_page: "10", page: "1" })
    const r3 = nextRequest(p, page(r2, { data: [1], total_pages: 3 }, { index: 1 }))
    expect(r3.params.page).toBe("2")
    expect(isLast(p, page(r3, { data: [1], total_pages: 3 }, { index: 2 }))).toBe(true)
  })

  it("cursor continues and stops when the cursor is gone", () => {
    const p = Auto.make()
    const r2 = nextRequest(p, page(start, { data: [1], nextCursor: "c2" }))
    expect(r2.params).toEqual({ per_page: "10", cursor: "c2" })
    // a later page whose nextCursor looks like a URL is still a cursor: the choice is made once
    expect(nextRequest(p, page(r2, { data: [1], nextCursor: "/c3" }, { index: 1 })).params.cursor).toBe("/c3")
    expect(isLast(p, page(r2, { data: [1], nextCursor: null }, { index: 1 }))).toBe(true)
  })

  it("single_page stops at once, and each make() is a fresh detector", () => {
    const p = Auto.make()
    expect(isLast(p, page(start, { data: [1] }))).toBe(true)
    const q = Auto.make()
    expect(Auto.detectionOf(q)).toBeUndefined()
    expect(Option.isSome(next(q, page(start, { data: [1], next: "/p2" })))).toBe(true)
    expect(p.type).toBe("single_page")
    expect(q.type).toBe("json_link")
  })
})

describe("custom paginator", () => {
  it("recognises custom paginators and factories", () => {
    const custom: Custom.CustomPaginator = { next: () => null }
    expect(Custom.isCustomPaginator(custom)).toBe(true)
    expect(Custom.isCustomPaginator({ type: "cursor", next: () => null })).toBe(false)
    expect(Custom.isCustomPaginator({ next: "x" })).toBe(false)
    expect(Custom.isCustomPaginator({ next: () => null, first: 1 })).toBe(false)
    expect(Custom.isCustomPaginatorFactory(() => custom)).toBe(true)
    expect(Custom.isCustomPaginatorFactory(custom)).toBe(false)
  })

  it("wraps first and next", () => {
    const p = Custom.make({
      first: (r) => ({ ...r, params: { ...r.params, size: "2" } }),
      next: (pg) => (pg.records.length < 2 ? null : { ...pg.request, params: { ...pg.request.params, p: String(pg.index + 2) } })
    })
    expect(p.type).toBe("custom")
    const first = p.first(start)
    expect(first.params).toEqual({ per_page: "10", size: "2" })
    expect(nextRequest(p, page(first, {}, { records: [1, 2] })).params).toEqual({ per_page: "10", size: "2", p: "2" })
    expect(isLast(p, page(first, {}, { records: [1] }))).toBe(true)
    expect(Custom.make({ next: () => undefined }).first(start)).toBe(start)
  })

  it("a thrown error becomes a PaginationError with its message", () => {
    const p = Custom.make({
      next: () => {
        throw new Error("token expired")
      }
    })
    const result = p.next(page(start, {}))
    assert(Either.isLeft(result))
    expect(result.left._tag).toBe("PaginationError")
    expect(result.left.message).toMatch(/token expired/)
  })

  it("a bad return value from untyped code is an error", () => {
    const untyped = Custom.fromUnknown({ next: () => ({ url: 5 }) })
    expect(nextError(Custom.make(untyped), page(start, {}))).toMatch(/method must be "GET" or "POST"/)
    const noParams = Custom.make(Custom.fromUnknown({ next: () => ({ method: "GET", url: "/x" }) }))
    expect(nextRequest(noParams, page(start, {}))).toEqual({ method: "GET", url: "/x", params: {}, json: undefined })
    expect(nextError(Custom.make(Custom.fromUnknown({ nope: 1 })), page(start, {}))).toMatch(/'next' function.*keys \[nope\]/)
  })

  it("a factory is called once per make, so state is per stream", () => {
    let made = 0
    const factory = (): Custom.CustomPaginator => {
      made++
      let pages = 0
      return { next: (pg) => (++pages >= 2 ? null : { ...pg.request, params: { n: String(pages) } }) }
    }
    const a = Custom.make(factory)
    const b = Custom.makeFromFactory(factory)
    expect(made).toBe(2)
    expect(nextRequest(a, page(start, {})).params).toEqual({ n: "1" })
    expect(isLast(a, page(start, {}))).toBe(true)
    expect(nextRequest(b, page(start, {})).params).toEqual({ n: "1" })
  })

  it("a factory that throws or returns junk fails the stream, not the process", () => {
    const throwing = Custom.makeFromFactory(() => {
      throw new Error("no config")
    })
    expect(nextError(throwing, page(start, {}))).toMatch(/factory threw: no config/)
    const junk = Custom.make(() => Custom.fromUnknown(42))
    expect(nextError(junk, page(start, {}))).toMatch(/found 42/)
  })
})
