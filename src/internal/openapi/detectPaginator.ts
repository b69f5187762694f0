/**
 * Which paginator an OpenAPI operation needs (issue 15, item 3), from its query parameters, its
 * success response's headers and its body schema, written as our config's `paginator` object.
 * In order: a documented `Link` header (`header_link`), a next-page URL in the body
 * (`json_link`), a cursor parameter with a cursor in the body (`cursor`, or Stripe's
 * `starting_after` with `cursor_value`), an offset parameter (`offset`), a page parameter
 * (`page_number`); else `auto`, which detects at run time. Pure: no I/O, no Effect.
 */
import type { ApiModel, JsonSchema, Operation, Parameter } from "./model.js"
import { facet, formatPath, isObject, norm, type Property, types, valueAt, view, type View, walk } from "./schemaView.js"

export interface PaginatorGuess {
  /** A paginator config object as our config takes it, or "auto" when nothing was detected. */
  readonly paginator: Record<string, unknown> | "auto"
  /** Query params the paginator does not own but that should be sent (e.g. `{ per_page: 100 }`). */
  readonly params: Readonly<Record<string, unknown>>
  /** One line for a comment in the generated file: what was detected and from what, or why `auto`. */
  readonly note: string
}

/** The largest page size asked for, whatever the API allows. */
export const maxPageSize = 100
/** The page size of an `offset` paginator when the document gives none (`limit` is required there). */
export const fallbackPageSize = 100

// Names compared with `norm` (lower case, letters and digits only).
const cursorParams = [
  "cursor", "after", "next", "startingafter", "pagetoken", "nextpagetoken", "continuation", "continuationtoken",
  "nexttoken", "nextcursor", "marker", "startcursor", "pagecursor", "pageafter", "cursormark", "afterid"
]
/** Cursor params that take the last record's id (Stripe's `starting_after`); others must say "id" in their description. */
const idCursorParams = ["startingafter", "startingafterid", "afterid"]
const offsetParams = ["offset", "skip", "startindex", "pageoffset"]
const pageParams = ["page", "pagenumber", "pageno", "pagenum", "pageindex"]
const sizeParams = ["limit", "perpage", "pagesize", "pagelimit", "size", "maxresults", "maxitems", "top", "take"]

const nextUrlNames = ["next", "nexturl", "nextlink", "nextpage", "nextpageurl", "odatanextlink", "nexthref"]
const cursorNames = [
  "nextcursor", "nextpagetoken", "nexttoken", "nextpagecursor", "nextmarker", "nextcursormark", "continuationtoken",
  "continuation", "endcursor", "cursor", "next", "after"
]
const moreFlags = ["hasmore", "hasnext", "hasnextpage", "hasmoreitems", "hasmoreresults", "moreresults", "more"]
const lastFlags = ["islast", "islastpage", "last", "lastpage"]
const totalNames = ["total", "totalcount", "totalitems", "totalresults", "totalelements", "totalrecords", "totalsize", "count"]
const totalPageNames = ["totalpages", "pagecount", "numpages", "pages", "lastpage"]
const linkContainers = ["links", "link", "paging", "pagination", "next"]
const urlFormats = ["uri", "url", "uri-reference", "iri", "iri-reference"]

const queryParam = (operation: Operation, names: ReadonlyArray<string>): Parameter | undefined => {
  const query = operation.parameters.filter((p) => p.in === "query")
  for (const name of names) {
    const found = query.find((p) => norm(p.name) === name)
    if (found !== undefined) return found
  }
  return undefined
}

const leaf = (p: Property): string => norm(p.path[p.path.length - 1] ?? "")
const parentName = (p: Property): string => norm(p.path[p.path.length - 2] ?? "")

/** The first property (by the names' order, then shallowest) whose last key is one of `names` and that passes `test`. */
const findProperty = (props: ReadonlyArray<Property>, names: ReadonlyArray<string>, test: (p: Property) => boolean) => {
  for (const name of names) {
    const found = props.find((p) => leaf(p) === name && test(p))
    if (found !== undefined) return found
  }
  return undefined
}

const isNumeric = (p: Property) => p.types.has("integer") || p.types.has("number")
const isBoolean = (p: Property) => p.types.has("boolean")
/** A scalar that can be a cursor: a string or a number (or no declared type). */
const isScalar = (p: Property) =>
  p.types.size === 0 ? !isObject(facet(p.view, "properties")) : p.types.has("string") || isNumeric(p)

const looksLikeUrl = (u: unknown) => typeof u === "string" && /^(https?:\/\/|\/)/.test(u)

/** Is this property a URL: its format, an example, its description, its name or its place says so. */
const isUrl = (p: Property, examples: ReadonlyArray<unknown>): boolean => {
  if (!(p.types.has("string") || p.types.size === 0)) return false
  const format = facet(p.view, "format")
  if (typeof format === "string" && urlFormats.includes(format)) return true
  const listed = facet(p.view, "examples")
  const own = [facet(p.view, "example"), ...(Array.isArray(listed) ? listed : [])]
  if ([...own, ...examples.map((e) => valueAt(e, p.path))].some(looksLikeUrl)) return true
  const description = facet(p.view, "description")
  if (typeof description === "string" && /\b(url|uri|link)\b/i.test(description)) return true
  const name = leaf(p)
  return /(url|link|href)$/.test(name) || (linkContainers.includes(parentName(p)) && name !== "cursor")
}

/** A next-page URL: `next` (a URL), `links.next`, `_links.next.href`, `nextLink`, `@odata.nextLink` ... */
const findNextUrl = (props: ReadonlyArray<Property>, examples: ReadonlyArray<unknown>, hasCursorParam: boolean) => {
  const hrefs = props.find((p) => ["href", "url"].includes(leaf(p)) && parentName(p) === "next" && p.types.has("string"))
  if (hrefs !== undefined) return hrefs
  const url = findProperty(props, nextUrlNames, (p) => isUrl(p, examples))
  if (url !== undefined) return url
  // A bare `next` string with no cursor parameter to send it back in can only be a URL.
  return hasCursorParam ? undefined : findProperty(props, ["next"], (p) => p.types.has("string"))
}

/** The page size to ask for: the parameter's maximum (capped), a "max N" in its description, or its default. */
export const pageSize = (param: Parameter, model: ApiModel): number | undefined => {
  const schema = view([param.schema], model)
  const cap = (n: number) => Math.max(1, Math.min(Math.floor(n), maxPageSize))
  const maximum = facet(schema, "maximum")
  if (typeof maximum === "number") return cap(maximum)
  const text = [param.description, facet(schema, "description")].filter((d) => typeof d === "string").join(" ")
  const max = /\bmax(?:imum)?\b\D{0,16}?(\d+)/i.exec(text)
  if (max?.[1] !== undefined) return cap(Number(max[1]))
  const fallback = facet(schema, "default")
  if (typeof fallback === "number" && fallback > 0) return cap(fallback)
  return undefined
}

/** A page parameter's first page: its description's "zero-based", its default or minimum when 0 or 1, else 1 (most APIs count from 1). */
const basePage = (param: Parameter, model: ApiModel): { readonly base: number; readonly documented: boolean } => {
  const schema = view([param.schema], model)
  const text = [param.description, facet(schema, "description")].filter((d) => typeof d === "string").join(" ")
  if (/\b(zero|0)-based\b|\bstarts? (at|from|with) 0\b/i.test(text)) return { base: 0, documented: true }
  if (/\b(one|1)-based\b|\bstarts? (at|from|with) 1\b/i.test(text)) return { base: 1, documented: true }
  for (const key of ["default", "minimum"]) {
    const value = facet(schema, key)
    if (value === 0 || value === 1) return { base: value, documented: true }
  }
  return { base: 1, documented: false }
}

/** The records' path segments, from a dotted data selector (`data`, `$.data.items`, `data[*]`). */
const selectorPath = (selector: string | undefined): ReadonlyArray<string> =>
  selector === undefined
    ? []
    : selector.replace(/^\$\.?/, "").replace(/\[\*\]/g, "").split(".").filter((s) => s.length > 0 && s !== "*")

/** The records' item schema: the array at the data selector (or the body, when it is an array). */
const recordView = (root: View, records: ReadonlyArray<string>, model: ApiModel): View => {
  let current = root
  for (const key of records) {
    const schemas: Array<unknown> = []
    for (const member of current) {
      const props = member.properties
      if (isObject(props) && props[key] !== undefined) schemas.push(props[key])
    }
    current = view(schemas, model)
  }
  return view(current.map((m) => m.items), model)
}

const hasId = (records: View): boolean => {
  for (const member of records) if (isObject(member.properties) && member.properties.id !== undefined) return true
  return false
}

const expressionPath = (path: ReadonlyArray<string>) => `response${path.map((k) => `[${JSON.stringify(k)}]`).join("")}`

interface Context {
  readonly operation: Operation
  readonly model: ApiModel
  readonly props: ReadonlyArray<Property>
  readonly records: View
  readonly size: { readonly param: Parameter; readonly value: number | undefined } | undefined
}

/**
 * `has_more_path` for a `has_more`-like flag, or a `stop_condition` for an `is_last`-like one;
 * none when a total is known (it ends paging as well and lets pages be fetched concurrently).
 */
const stopRules = (ctx: Context, total?: Property): { readonly fields: Record<string, unknown>; readonly note: string } => {
  if (total !== undefined) return { fields: {}, note: "" }
  const more = findProperty(ctx.props, moreFlags, isBoolean)
  if (more !== undefined) return { fields: { has_more_path: formatPath(more.path) }, note: `, has_more_path from '${formatPath(more.path)}'` }
  const last = findProperty(ctx.props, lastFlags, isBoolean)
  if (last !== undefined) {
    return {
      fields: { stop_condition: `{{ ${expressionPath(last.path)} == True }}` },
      note: `, stops when '${formatPath(last.path)}' is true`
    }
  }
  return { fields: {}, note: "" }
}

const sizeParamsOf = (ctx: Context): Record<string, unknown> =>
  ctx.size?.value === undefined ? {} : { [ctx.size.param.name]: ctx.size.value }

const sizeNote = (ctx: Context): string =>
  ctx.size === undefined ? "" : ctx.size.value === undefined ? `; '${ctx.size.param.name}' left to the API's default` : `; ${ctx.size.param.name}=${ctx.size.value}`

const guessLink = (ctx: Context, from: string): PaginatorGuess => ({
  paginator: { type: "header_link" },
  params: sizeParamsOf(ctx),
  note: `header_link: ${from}${sizeNote(ctx)}`
})

const guessJsonLink = (ctx: Context, next: Property): PaginatorGuess => ({
  paginator: { type: "json_link", next_url_path: formatPath(next.path) },
  params: sizeParamsOf(ctx),
  note: `json_link: the response's '${formatPath(next.path)}' holds the next page's URL${sizeNote(ctx)}`
})

/** `cursor`: the param sends back what the body's cursor (or the last record's id) says. */
const guessCursor = (ctx: Context, param: Parameter): PaginatorGuess | string => {
  const wanted = [norm(param.name), `next${norm(param.name)}`, ...cursorNames]
  const cursor = findProperty(ctx.props, wanted, (p) => isScalar(p) && !(p.types.has("string") && isUrl(p, [])))
  const stop = stopRules(ctx)
  const limit = ctx.size?.value === undefined
    ? {}
    : { limit: ctx.size.value, ...(ctx.size.param.name === "limit" ? {} : { limit_param: ctx.size.param.name }) }
  const common = { ...(param.name === "cursor" ? {} : { cursor_param: param.name }) }
  if (cursor !== undefined) {
    return {
      paginator: { type: "cursor", ...common, cursor_path: formatPath(cursor.path), ...limit, ...stop.fields },
      params: {},
      note: `cursor: query param '${param.name}', next cursor from '${formatPath(cursor.path)}'${stop.note}${sizeNote(ctx)}`
    }
  }
  const byId = idCursorParams.includes(norm(param.name)) || stop.note !== "" ||
    /\bid\b/i.test(param.description ?? "")
  if (byId && hasId(ctx.records)) {
    return {
      paginator: {
        type: "cursor",
        ...common,
        cursor_value: "{{ last_record['id'] }}",
        ...limit,
        ...(stop.note === "" ? { stop_after_empty_page: true } : stop.fields)
      },
      params: {},
      note: `cursor: query param '${param.name}' takes the last record's id${stop.note === "" ? ", stops on an empty page" : stop.note}${sizeNote(ctx)}`
    }
  }
  return `query param '${param.name}' looks like a cursor, but the response has no cursor property${hasId(ctx.records) ? "" : " and its records no id"}`
}

const guessOffset = (ctx: Context, param: Parameter): PaginatorGuess => {
  const total = findProperty(ctx.props, totalNames, isNumeric)
  const stop = stopRules(ctx, total)
  const limit = ctx.size?.value ?? fallbackPageSize
  const sizeName = ctx.size?.param.name ?? "limit"
  return {
    paginator: {
      type: "offset",
      limit,
      ...(param.name === "offset" ? {} : { offset_param: param.name }),
      ...(sizeName === "limit" ? {} : { limit_param: sizeName }),
      total_path: total === undefined ? null : formatPath(total.path),
      ...stop.fields
    },
    params: {},
    note: `offset: query params '${param.name}' and '${sizeName}'` +
      (total === undefined ? ", no total in the response (stops on an empty page)" : `, total from '${formatPath(total.path)}'`) +
      stop.note +
      (ctx.size?.value === undefined ? `; page size ${limit} assumed (the document gives none)` : `; ${sizeName}=${limit}`)
  }
}

const guessPageNumber = (ctx: Context, param: Parameter): PaginatorGuess => {
  const total = findProperty(ctx.props, totalPageNames, isNumeric)
  const stop = stopRules(ctx, total)
  const { base, documented } = basePage(param, ctx.model)
  return {
    paginator: {
      type: "page_number",
      base_page: base,
      ...(param.name === "page" ? {} : { page_param: param.name }),
      total_path: total === undefined ? null : formatPath(total.path),
      ...stop.fields
    },
    params: sizeParamsOf(ctx),
    note: `page_number: query param '${param.name}' from ${base}${documented ? "" : " (assumed)"}` +
      (total === undefined ? ", no page count in the response (stops on an empty page)" : `, page count from '${formatPath(total.path)}'`) +
      stop.note + sizeNote(ctx)
  }
}

/**
 * The paginator of an operation. `responseSchema` is its success body's schema (`$ref`s are
 * followed here; the operation's own is used when undefined), `dataSelector` the records' path
 * (dotted), so that the records' own properties are not mistaken for paging metadata.
 */
export const detectPaginator = (
  operation: Operation,
  responseSchema: JsonSchema | undefined,
  dataSelector: string | undefined,
  model: ApiModel
): PaginatorGuess => {
  const root = view([responseSchema ?? operation.response?.schema], model)
  const records = selectorPath(dataSelector)
  const skip = (path: ReadonlyArray<string>) =>
    records.length > 0 && path.length === records.length && path.every((k, i) => k === records[i])
  const props = types(root).has("array") && !types(root).has("object") ? [] : walk(root, model, { maxDepth: 4, skip })
  const sizeParam = queryParam(operation, sizeParams)
  const ctx: Context = {
    operation,
    model,
    props,
    records: recordView(root, records, model),
    size: sizeParam === undefined ? undefined : { param: sizeParam, value: pageSize(sizeParam, model) }
  }
  const examples = operation.response?.examples ?? []
  const cursorParam = queryParam(operation, cursorParams)

  if (operation.response?.headers.includes("link") === true) {
    return guessLink(ctx, `the ${operation.response.status} response documents a Link header`)
  }
  const linkParam = operation.parameters.find((p) => p.in === "query" && /\blink\W{0,2}\s*headers?\b/i.test(p.description ?? ""))
  if (linkParam !== undefined) return guessLink(ctx, `query param '${linkParam.name}' is described as taken from the Link header`)
  const nextUrl = findNextUrl(props, examples, cursorParam !== undefined)
  if (nextUrl !== undefined) return guessJsonLink(ctx, nextUrl)
  const reasons: Array<string> = []
  if (cursorParam !== undefined) {
    const cursor = guessCursor(ctx, cursorParam)
    if (typeof cursor !== "string") return cursor
    reasons.push(cursor)
  }
  const offset = queryParam(operation, offsetParams)
  if (offset !== undefined) return guessOffset(ctx, offset)
  const page = queryParam(operation, pageParams)
  if (page !== undefined) return guessPageNumber(ctx, page)
  if (reasons.length === 0) {
    reasons.push("no Link header, next link, cursor, offset or page parameter documented")
  }
  return { paginator: "auto", params: sizeParamsOf(ctx), note: `auto: ${reasons.join("; ")} (detected on the first response at run time)` }
}
