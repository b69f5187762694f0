import { assert, describe, expect, it } from "@effect/vitest"
import { Either, Option } from "effect"
import { fromSpec } from "../../src/internal/paginate/fromSpec.js"
import { resolveConfig } from "../../src/internal/config/resolve.js"
import type { Page, PageRequest, Paginator } from "../../src/internal/paginate/paginator.js"

/** Builds the paginator of a one-resource config, as the config would. */
const paginatorOf = (paginator: unknown): Paginator => {
  const result = resolveConfig({ client: { base_url: "https://api.test/v1/" }, resources: [{ name: "r", endpoint: { path: "items", paginator } }] })
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return fromSpec(result.right.resources[0].paginator)
}

const page = (
  request: PageRequest,
  body: unknown,
  records: ReadonlyArray<unknown>,
  index = 0,
  headers: Record<string, string> = {}
): Page => ({ request, url: `https://api.test/v1/${request.url}`, body, headers, records, index })

const next = (p: Paginator, pg: Page): Option.Option<PageRequest> => Either.getOrThrowWith(p.next(pg), (e) => new Error(e.message))
const nextError = (p: Paginator, pg: Page): string => {
  const result = p.next(pg)
  assert(Either.isLeft(result))
  return result.left.message
}

const start: PageRequest = { method: "GET", url: "items", params: {} }

describe("cursor paginator", () => {
  const seed = paginatorOf({
    type: "cursor",
    limit: 50,
    cursor_param: "next",
    stop_condition: "{{ response.get('hasNext', {}) == False }}"
  })

  it("sends limit with every request and the cursor read from top-level 'next'", () => {
    const first = seed.first(start)
    expect(first.params).toEqual({ limit: "50" })
    const second = next(seed, page(first, { data: [1], next: "abc", hasNext: true }, [1]))
    expect(Option.getOrThrow(second).params).toEqual({ limit: "50", next: "abc" })
  })

  it("stops when stop_condition says so, even though the last page carries a cursor", () => {
    expect(Option.isNone(next(seed, page(seed.first(start), { data: [1], next: "zzz", hasNext: false }, [1])))).toBe(true)
  })

  it("a page that says 'go on' without a cursor is an error, not a silent stop", () => {
    expect(nextError(seed, page(start, { data: [1], hasNext: true }, [1]))).toMatch(/no cursor/)
  })

  it("dlt defaults: cursors.next, stop on a missing, null or empty cursor", () => {
    const p = paginatorOf("cursor")
    expect(Option.getOrThrow(next(p, page(start, { cursors: { next: "c2" } }, [1]))).params).toEqual({ cursor: "c2" })
    expect(Option.isNone(next(p, page(start, { cursors: { next: null } }, [1])))).toBe(true)
    expect(Option.isNone(next(p, page(start, { cursors: { next: "" } }, [1])))).toBe(true)
    expect(Option.isNone(next(p, page(start, {}, [1])))).toBe(true)
  })

  it("cursor_path, has_more_path and stop_after_empty_page", () => {
    const p = paginatorOf({ type: "cursor", cursor_path: "meta.after", cursor_param: "after", has_more_path: "meta.more" })
    expect(Option.getOrThrow(next(p, page(start, { meta: { after: 7, more: true } }, [1]))).params).toEqual({ after: "7" })
    expect(Option.isNone(next(p, page(start, { meta: { after: 7, more: false } }, [1])))).toBe(true)
    expect(nextError(p, page(start, { meta: { after: 7, more: "maybe" } }, [1]))).toMatch(/boolean at 'meta.more'/)
    const empty = paginatorOf({ type: "cursor", stop_after_empty_page: true })
    expect(Option.isNone(next(empty, page(start, { cursors: { next: "x" } }, [])))).toBe(true)
  })

  it("cursor_value computes the cursor from the page (Stripe's starting_after)", () => {
    const p = paginatorOf({
      type: "cursor",
      cursor_value: "{{ last_record['id'] }}",
      cursor_param: "starting_after",
      stop_condition: "{{ not response.has_more }}"
    })
    const records = [{ id: "a" }, { id: "b" }]
    expect(Option.getOrThrow(next(p, page(start, { data: records, has_more: true }, records))).params).toEqual({ starting_after: "b" })
    expect(Option.isNone(next(p, page(start, { data: records, has_more: false }, records)))).toBe(true)
  })

  it("a stop_condition sees headers, last_page_size and page_index", () => {
    const p = paginatorOf({ type: "cursor", stop_condition: "{{ page_index >= 2 or last_page_size < 2 or headers.get('x-last') == 'yes' }}" })
    const body = { cursors: { next: "n" } }
    expect(Option.isSome(next(p, page(start, body, [1, 2], 0)))).toBe(true)
    expect(Option.isNone(next(p, page(start, body, [1, 2], 2)))).toBe(true)
    expect(Option.isNone(next(p, page(start, body, [1], 0)))).toBe(true)
    expect(Option.isNone(next(p, page(start, body, [1, 2], 0, { "x-last": "yes" })))).toBe(true)
  })
})

describe("json_link paginator", () => {
  const p = paginatorOf({ type: "json_link", next_url_path: "links.next" })

  it("follows absolute and relative links, dropping the previous params", () => {
    const abs = next(p, page({ method: "GET", url: "items", params: { limit: "5" } }, { links: { next: "https://api.test/v1/items?page=2" } }, [1]))
    expect(Option.getOrThrow(abs)).toEqual({ method: "GET", url: "https://api.test/v1/items?page=2", params: {} })
    const rel = next(p, page({ method: "GET", url: "items", params: { limit: "5" } }, { links: { next: "/v1/items?page=3" } }, [1]))
    expect(Option.getOrThrow(rel)).toEqual({ method: "GET", url: "https://api.test/v1/items?page=3", params: {} })
  })

  it("stops when the link is missing or null", () => {
    expect(Option.isNone(next(p, page(start, { links: { next: null } }, [1])))).toBe(true)
    expect(Option.isNone(next(p, page(start, {}, [1])))).toBe(true)
  })

  it("defaults to the top-level 'next' (PokeAPI style)", () => {
    const d = paginatorOf("json_link")
    expect(Option.getOrThrow(next(d, page(start, { next: "https://api.test/v1/items?offset=20" }, [1]))).url).toBe(
      "https://api.test/v1/items?offset=20"
    )
  })
})

describe("offset paginator", () => {
  it("advances by limit and stops at total", () => {
    const p = paginatorOf({ type: "offset", limit: 10 })
    const first = p.first(start)
    expect(first.params).toEqual({ limit: "10", offset: "0" })
    const second = Option.getOrThrow(next(p, page(first, { total: 25 }, Array(10).fill(1))))
    expect(second.params).toEqual({ limit: "10", offset: "10" })
    const third = Option.getOrThrow(next(p, page(second, { total: 25 }, Array(10).fill(1))))
    expect(third.params.offset).toBe("20")
    expect(Option.isNone(next(p, page(third, { total: 25 }, Array(5).fill(1))))).toBe(true)
  })

  it("total as a string is cast; a missing default total is an error with a hint", () => {
    const p = paginatorOf({ type: "offset", limit: 10 })
    expect(Option.isSome(next(p, page(p.first(start), { total: "30" }, [1])))).toBe(true)
    expect(nextError(p, page(p.first(start), {}, [1]))).toMatch(/total_path: null/)
  })

  it("stops on an empty page, and at maximum_offset even when has_more says more (dlt#4225)", () => {
    const p = paginatorOf({ type: "offset", limit: 10, total_path: null, has_more_path: "more", maximum_offset: 20 })
    const first = p.first(start)
    expect(Option.isNone(next(p, page(first, { more: true }, [])))).toBe(true)
    const second = Option.getOrThrow(next(p, page(first, { more: true }, [1])))
    expect(Option.isNone(next(p, page(second, { more: true }, [1])))).toBe(true)
    expect(Option.isNone(next(p, page(first, { more: false }, [1])))).toBe(true)
  })

  it("custom params and a start offset", () => {
    const p = paginatorOf({ type: "offset", limit: 5, offset: 100, offset_param: "skip", limit_param: "take", total_path: "meta.count" })
    const first = p.first(start)
    expect(first.params).toEqual({ take: "5", skip: "100" })
    expect(Option.getOrThrow(next(p, page(first, { meta: { count: 200 } }, [1]))).params).toEqual({ take: "5", skip: "105" })
  })
})

describe("page_number paginator", () => {
  it("one-based pages with total pages", () => {
    const p = paginatorOf({ type: "page_number", base_page: 1, total_path: "total_pages" })
    const first = p.first(start)
    expect(first.params).toEqual({ page: "1" })
    const second = Option.getOrThrow(next(p, page(first, { total_pages: 2 }, [1])))
    expect(second.params).toEqual({ page: "2" })
    expect(Option.isNone(next(p, page(second, { total_pages: 2 }, [1])))).toBe(true)
  })

  it("zero-based, no total: stops on the empty page or at maximum_page", () => {
    const p = paginatorOf({ type: "page_number", total_path: null, maximum_page: 3 })
    let request = p.first(start)
    expect(request.params).toEqual({ page: "0" })
    request = Option.getOrThrow(next(p, page(request, {}, [1])))
    request = Option.getOrThrow(next(p, page(request, {}, [1])))
    expect(request.params.page).toBe("2")
    expect(Option.isNone(next(p, page(request, {}, [1])))).toBe(true)
    expect(Option.isNone(next(paginatorOf({ type: "page_number", total_path: null }), page(start, {}, [])))).toBe(true)
  })
})

describe("single_page paginator", () => {
  it("never asks for a second page", () => {
    const p = paginatorOf("single_page")
    expect(Option.isNone(next(p, page(start, { next: "x" }, [1])))).toBe(true)
  })
})
