/**
 * detectPaginator (issue 15, item 3): each paginator kind from a hand-written operation, each
 * guess put into a minimal config that our config decoding takes and whose paginator pages as
 * the API does; then the real documents (GitHub, train-travel, star-trek, readme).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { detectPaginator, type PaginatorGuess } from "../../src/internal/openapi/detectPaginator.js"
import type { ApiModel, JsonSchema, Operation } from "../../src/internal/openapi/model.js"
import { planResources } from "../../src/internal/openapi/resources.js"
import { makeSource, minimalConfig } from "../support/guessConfig.js"
import {
  githubDocument,
  listBody,
  loadDocument,
  model,
  nextAfter,
  oasExample,
  oasExamples,
  op,
  operation,
  query,
  ref
} from "../support/openapiFixtures.js"

const detect = (operation: Operation, m: ApiModel = model(), dataSelector: string | undefined = "data", schema?: JsonSchema) =>
  detectPaginator(operation, schema, dataSelector, m)

/** The guess in a minimal config, decoded and resolved as `init`'s output would be. */
const source = (guess: PaginatorGuess) => makeSource(minimalConfig(guess, undefined), [])

describe("detectPaginator: cursor", () => {
  it.effect("cursor param + next_cursor and has_more in the body; limit's maximum capped at 100", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("cursor"), query("limit", { type: "integer", maximum: 500 })], {
        schema: listBody({ next_cursor: { type: ["string", "null"] }, has_more: { type: "boolean" } })
      }))
      expect(guess.paginator).toEqual({ type: "cursor", cursor_path: "next_cursor", limit: 100, has_more_path: "has_more" })
      expect(guess.params).toEqual({})
      expect(guess.note).toMatch(/cursor: query param 'cursor', next cursor from 'next_cursor', has_more_path from 'has_more'; limit=100/)
      const spec = yield* source(guess)
      expect(nextAfter(spec, { data: [{ id: "a" }], next_cursor: "c2", has_more: true }, [{ id: "a" }])?.params)
        .toEqual({ limit: "100", cursor: "c2" })
      expect(nextAfter(spec, { data: [{ id: "a" }], next_cursor: "c2", has_more: false }, [{ id: "a" }])).toBeUndefined()
    }))

  it.effect("a nested cursor behind $ref and allOf (meta.next_cursor, response_metadata style)", () =>
    Effect.gen(function*() {
      const m = model({
        schemas: {
          Meta: { type: "object", properties: { next_cursor: { type: "string" } } },
          Page: { allOf: [ref("Base"), { properties: { meta: ref("Meta") } }] },
          Base: listBody({})
        }
      })
      const guess = detect(op([query("after")], { schema: ref("Page") }), m)
      expect(guess.paginator).toEqual({ type: "cursor", cursor_param: "after", cursor_path: "meta.next_cursor" })
      yield* source(guess)
    }))

  it.effect("Google style: pageToken / pageSize and nextPageToken", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("pageToken"), query("pageSize", { type: "integer", default: 50 })], {
        schema: { type: "object", properties: { items: { type: "array", items: {} }, nextPageToken: { type: "string" } } }
      }), model(), "items")
      expect(guess.paginator).toEqual({
        type: "cursor",
        cursor_param: "pageToken",
        cursor_path: "nextPageToken",
        limit: 50,
        limit_param: "pageSize"
      })
      const spec = yield* source(guess)
      expect(nextAfter(spec, { items: [1], nextPageToken: "t2" }, [1])?.params).toEqual({ pageSize: "50", pageToken: "t2" })
    }))

  it.effect("the seed's API: `next` both param and body key, hasNext → has_more_path", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("next"), query("limit", { type: "integer", maximum: 50 })], {
        schema: listBody({ next: { type: "string" }, hasNext: { type: "boolean" } })
      }))
      expect(guess.paginator).toEqual({ type: "cursor", cursor_param: "next", cursor_path: "next", limit: 50, has_more_path: "hasNext" })
      const spec = yield* source(guess)
      expect(nextAfter(spec, { data: [1], next: "zzz", hasNext: false }, [1])).toBeUndefined()
    }))

  it.effect("Stripe: starting_after takes the last record's id, has_more stops", () =>
    Effect.gen(function*() {
      const m = model({
        schemas: {
          Customer: { type: "object", properties: { id: { type: "string" }, email: { type: "string" } } },
          CustomerList: {
            type: "object",
            properties: {
              object: { type: "string" },
              data: { type: "array", items: ref("Customer") },
              has_more: { type: "boolean" },
              url: { type: "string" }
            }
          }
        }
      })
      const guess = detect(op([query("starting_after"), query("ending_before"), query("limit", { type: "integer", maximum: 100, minimum: 1 })], {
        schema: ref("CustomerList")
      }), m)
      expect(guess.paginator).toEqual({
        type: "cursor",
        cursor_param: "starting_after",
        cursor_value: "{{ last_record['id'] }}",
        limit: 100,
        has_more_path: "has_more"
      })
      const spec = yield* source(guess)
      const records = [{ id: "cus_1" }, { id: "cus_2" }]
      expect(nextAfter(spec, { data: records, has_more: true }, records)?.params).toEqual({ limit: "100", starting_after: "cus_2" })
      expect(nextAfter(spec, { data: records, has_more: false }, records)).toBeUndefined()
    }))

  it("a cursor param with nothing in the body to send back is `auto`, and says why", () => {
    const guess = detect(op([query("cursor")], { schema: { type: "array", items: { type: "object" } } }), model(), undefined)
    expect(guess.paginator).toBe("auto")
    expect(guess.note).toMatch(/query param 'cursor' looks like a cursor, but the response has no cursor property and its records no id/)
  })
})

describe("detectPaginator: offset and page_number", () => {
  it.effect("offset/limit with total_count (allOf), the limit's default as the page size", () =>
    Effect.gen(function*() {
      const m = model({ schemas: { Paged: { type: "object", properties: { total_count: { type: "integer" } } } } })
      const guess = detect(op([query("offset", { type: "integer" }), query("limit", { type: "integer", default: 20 })], {
        schema: { allOf: [ref("Paged"), listBody({})] }
      }), m)
      expect(guess.paginator).toEqual({ type: "offset", limit: 20, total_path: "total_count" })
      const spec = yield* source(guess)
      expect(nextAfter(spec, { data: [1], total_count: 50 }, [1])?.params).toEqual({ offset: "20", limit: "20" })
      expect(nextAfter(spec, { data: [1], total_count: 20 }, [1])).toBeUndefined()
    }))

  it.effect("skip/top without a total: total_path null (stops on an empty page), page size assumed", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("$skip", { type: "integer" }), query("$top", { type: "integer" })], { schema: listBody({}) }))
      expect(guess.paginator).toEqual({ type: "offset", limit: 100, offset_param: "$skip", limit_param: "$top", total_path: null })
      expect(guess.note).toMatch(/no total in the response .*page size 100 assumed/)
      const spec = yield* source(guess)
      expect(nextAfter(spec, { data: [] }, [])).toBeUndefined()
    }))

  it.effect("page/per_page with meta.total_pages; per_page's maximum 250 capped; page's minimum 1 is the base", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("page", { type: "integer", minimum: 1 }), query("per_page", { type: "integer", maximum: 250 })], {
        schema: listBody({ meta: { type: "object", properties: { total_pages: { type: "integer" }, has_more: { type: "boolean" } } } })
      }))
      expect(guess.paginator).toEqual({ type: "page_number", base_page: 1, total_path: "meta.total_pages" })
      expect(guess.params).toEqual({ per_page: 100 })
      const spec = yield* source(guess)
      expect(nextAfter(spec, { data: [1], meta: { total_pages: 3 } }, [1])?.params).toEqual({ page: "2" })
      expect(nextAfter(spec, { data: [1], meta: { total_pages: 1 } }, [1])).toBeUndefined()
    }))

  it.effect("a zero-based pageNumber with a has_more flag and no page count; a `max N` in the description", () =>
    Effect.gen(function*() {
      const guess = detect(op([
        query("pageNumber", { type: "integer" }, "Zero-based page number"),
        query("pageSize", { type: "integer" }, "Results per page, maximum 50")
      ], { schema: listBody({ hasMore: { type: "boolean" } }) }))
      expect(guess.paginator).toEqual({ type: "page_number", base_page: 0, page_param: "pageNumber", total_path: null, has_more_path: "hasMore" })
      expect(guess.params).toEqual({ pageSize: 50 })
      yield* source(guess)
    }))

  it.effect("an is_last flag becomes a stop_condition that our expression parser takes", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("page", { type: "integer", default: 1 })], {
        schema: listBody({ pagination: { type: "object", properties: { is_last: { type: "boolean" } } } })
      }))
      expect(guess.paginator).toEqual({
        type: "page_number",
        base_page: 1,
        total_path: null,
        stop_condition: "{{ response[\"pagination\"][\"is_last\"] == True }}"
      })
      const spec = yield* source(guess)
      expect(nextAfter(spec, { data: [1], pagination: { is_last: true } }, [1])).toBeUndefined()
      expect(nextAfter(spec, { data: [1], pagination: { is_last: false } }, [1])?.params).toEqual({ page: "2" })
    }))
})

describe("detectPaginator: links", () => {
  it.effect("a Link header documented in the success response: header_link, per_page sent as a param", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("page", { type: "integer" }), query("per_page", { type: "integer", default: 30 }, "(max 100)")], {
        schema: { type: "array", items: {} },
        headers: ["link", "x-total-count"]
      }), model(), undefined)
      expect(guess).toEqual({
        paginator: { type: "header_link" },
        params: { per_page: 100 },
        note: "header_link: the 200 response documents a Link header; per_page=100"
      })
      const spec = yield* source(guess)
      expect(nextAfter(spec, [1], [1], { link: "<https://api.test/v1/items?page=2>; rel=\"next\"" })?.url)
        .toBe("https://api.test/v1/items?page=2")
    }))

  it.effect("JSON next links: links.next (format uri), _links.next.href, a `next` URL known from an example, @odata.nextLink", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Operation, string]> = [
        [op([], { schema: listBody({ links: { type: "object", properties: { next: { type: "string", format: "uri" } } } }) }), "links.next"],
        [op([], {
          schema: listBody({
            _links: { type: "object", properties: { self: { type: "object" }, next: { type: "object", properties: { href: { type: "string" } } } } }
          })
        }), "_links.next.href"],
        [op([query("page")], { schema: listBody({ next: { type: "string" } }), examples: [{ data: [], next: "https://api.test/v1/items?page=2" }] }), "next"],
        [op([], { schema: listBody({ "@odata.nextLink": { type: "string" } }) }), "[\"@odata.nextLink\"]"]
      ]
      for (const [operation, path] of cases) {
        const guess = detect(operation)
        expect(guess.paginator).toEqual({ type: "json_link", next_url_path: path })
        const spec = yield* source(guess)
        const body = { data: [1], next: "https://api.test/v1/items?page=2", links: { next: "https://api.test/v1/items?page=2" }, _links: { next: { href: "https://api.test/v1/items?page=2" } }, "@odata.nextLink": "https://api.test/v1/items?page=2" }
        expect(nextAfter(spec, body, [1])?.url).toBe("https://api.test/v1/items?page=2")
      }
    }))

  it.effect("nothing documented: auto, with a note; the page size param is still sent", () =>
    Effect.gen(function*() {
      const guess = detect(op([query("q"), query("limit", { type: "integer", maximum: 1000 })], { schema: listBody({ total: { type: "integer" } }) }))
      expect(guess.paginator).toBe("auto")
      expect(guess.params).toEqual({ limit: 100 })
      expect(guess.note).toBe("auto: no Link header, next link, cursor, offset or page parameter documented (detected on the first response at run time)")
      yield* source(guess)
    }))
})

describe("detectPaginator on real documents", () => {
  const github = loadDocument(githubDocument)

  it.effect("GitHub GET /repos/{owner}/{repo}/issues: header_link (its 200 documents Link), per_page 100", () =>
    Effect.gen(function*() {
      const guess = detectPaginator(operation(github, "/repos/{owner}/{repo}/issues"), undefined, undefined, github)
      expect(guess.paginator).toEqual({ type: "header_link" })
      expect(guess.params).toEqual({ per_page: 100 })
      yield* source(guess)
    }))

  it("GitHub: cursor params described as taken from the Link header are header_link; /notifications' max is 50", () => {
    const configurations = detectPaginator(operation(github, "/orgs/{org}/code-security/configurations"), undefined, undefined, github)
    expect(configurations.paginator).toEqual({ type: "header_link" })
    expect(configurations.note).toMatch(/query param '(before|after)' is described as taken from the Link header/)
    expect(detectPaginator(operation(github, "/notifications"), undefined, undefined, github).params).toEqual({ per_page: 50 })
  })

  it("train-travel (3.1): links.next through allOf members of allOf → json_link", () => {
    const m = loadDocument(oasExample("3.1", "train-travel"))
    for (const p of ["/stations", "/trips", "/bookings"]) {
      expect(detectPaginator(operation(m, p), undefined, "data", m).paginator).toEqual({ type: "json_link", next_url_path: "links.next" })
    }
  })

  it("star-trek (3.0): a zero-based pageNumber with page.totalPages", () => {
    const m = loadDocument(oasExample("3.0", "star-trek"))
    expect(detectPaginator(operation(m, "/animal/search"), undefined, "animals", m).paginator)
      .toEqual({ type: "page_number", base_page: 0, page_param: "pageNumber", total_path: "page.totalPages" })
  })

  it("readme (3.1): paging.next; readme-legacy (3.0): a Link header with perPage", () => {
    const readme = loadDocument(oasExample("3.1", "readme"))
    expect(detectPaginator(operation(readme, "/changelogs"), undefined, "data", readme))
      .toMatchObject({ paginator: { type: "json_link", next_url_path: "paging.next" }, params: { per_page: 100 } })
    const legacy = loadDocument(oasExample("3.0", "readme-legacy"))
    expect(detectPaginator(operation(legacy, "/changelogs"), undefined, undefined, legacy))
      .toMatchObject({ paginator: { type: "header_link" }, params: { perPage: 100 } })
  })

  it.effect("every planned resource of every document: each distinct guess decodes as our config", () =>
    Effect.gen(function*() {
      const seen = new Map<string, PaginatorGuess>()
      const kinds = new Set<string>()
      for (const file of [githubDocument, ...oasExamples()]) {
        const m = loadDocument(file)
        for (const plan of planResources(m)) {
          const guess = detectPaginator(plan.operation, undefined, plan.dataSelector, m)
          expect(guess.note.length).toBeGreaterThan(0)
          kinds.add(guess.paginator === "auto" ? "auto" : String(guess.paginator.type))
          seen.set(JSON.stringify([guess.paginator, guess.params]), guess)
        }
      }
      for (const guess of seen.values()) yield* source(guess)
      expect([...kinds].sort()).toEqual(["auto", "header_link", "json_link", "page_number"])
    }), 60_000)
})
