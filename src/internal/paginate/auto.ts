/**
 * `auto` (dlt's PaginatorFactory in `rest_client/detector.py`): the paginator is chosen from
 * the FIRST response of a stream and then used for the rest of that stream. Detectors, in order:
 *
 * 1. a `Link` header with `rel="next"` → `header_link` (score 1);
 * 2. the first key matching `^next` (case-insensitive, depth first, in document order; a dict
 *    value is looked into for a key matching `^href` / `^url`) whose value is a string starting
 *    with `http` or `/` → `json_link` on that path (score 1);
 * 3. an integer (or integer string) under a key named `total_pages`, `pages` or `totalpages`
 *    (case-insensitive, any depth) → `page_number` with dlt's defaults: `base_page` 0,
 *    `page_param` "page", that `total_path` (score 0.5);
 * 4. the `next*` value of 2 when it is not a URL → `cursor` on that path with `cursor_param`
 *    "cursor" (score 0.5);
 * 5. otherwise `single_page` (score 0).
 *
 * As in dlt, the detected paginator does not add its first-request params (the first request
 * was already sent), so page_number continues from page 0 + 1. Where we differ: a boolean under
 * a `next*` or `total_pages` key is a flag, not a cursor or a total, so it is skipped (Python's
 * `isinstance(True, int)` lets dlt pick it up).
 */
import * as DataSelector from "../syntax/dataSelector.js"
import * as Cursor from "./cursor.js"
import * as HeaderLink from "./headerLink.js"
import * as JsonLink from "./jsonLink.js"
import { isRecord, type Page, type Paginator, query } from "./paginator.js"
import * as Range from "./range.js"
import * as SinglePage from "./singlePage.js"

export interface Detection {
  readonly paginator: Paginator
  /** What was chosen and from which key, for logs, e.g. `json_link on 'next'`. */
  readonly description: string
  /** dlt's confidence: 1 exact, 0.5 guessed defaults (dlt warns), 0 fallback. */
  readonly score: number
}

/** The `auto` paginator of one stream; `detection` is set once the first page was seen. */
export interface AutoPaginator extends Paginator {
  readonly detection: Detection | undefined
}

type Scalar = string | number

interface Found {
  readonly path: ReadonlyArray<string>
  readonly value: Scalar
}

const isScalar = (u: unknown): u is Scalar => typeof u === "string" || (typeof u === "number" && Number.isFinite(u))

const nextKey = /^next/i
const nextDictKey = /^(href|url)/i
const totalPagesKey = /^(total_pages|pages|totalpages)$/i

/** dlt's `find_next_page_path`: depth first, a matching key before the dicts that follow it. */
const findNext = (node: unknown, path: ReadonlyArray<string>): Found | undefined => {
  if (!isRecord(node)) return undefined
  for (const [key, value] of Object.entries(node)) {
    if (nextKey.test(key)) {
      if (isRecord(value)) {
        for (const [subKey, subValue] of Object.entries(value)) {
          if (nextDictKey.test(subKey) && isScalar(subValue)) return { path: [...path, key, subKey], value: subValue }
        }
      } else if (isScalar(value)) {
        return { path: [...path, key], value }
      }
    }
    // A `next` dict without href/url is searched like any other dict.
    if (isRecord(value)) {
      const found = findNext(value, [...path, key])
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** dlt's `find_total_pages_path`. */
const findTotalPages = (node: unknown, path: ReadonlyArray<string>): Found | undefined => {
  if (!isRecord(node)) return undefined
  for (const [key, value] of Object.entries(node)) {
    if (totalPagesKey.test(key) && isScalar(value)) return { path: [...path, key], value }
    if (isRecord(value)) {
      const found = findTotalPages(value, [...path, key])
      if (found !== undefined) return found
    }
  }
  return undefined
}

const isUrl = (value: Scalar): value is string =>
  typeof value === "string" && (value.startsWith("http") || value.startsWith("/"))

/** The same integer rule the page_number paginator applies to the total on later pages. */
const isInteger = (value: Scalar): boolean =>
  typeof value === "number" ? Number.isInteger(value) : /^\s*-?\d+\s*$/.test(value)

/** Dotted when every key is plain (readable in logs), bracketed otherwise (keys with dots etc.). */
const selectorFor = (path: ReadonlyArray<string>): DataSelector.DataSelector =>
  DataSelector.unsafeParse(
    path.every((k) => /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k))
      ? path.join(".")
      : `$${path.map((k) => `[${JSON.stringify(k)}]`).join("")}`
  )

/** Picks the paginator for a stream from its first page. */
export const detect = (page: Page): Detection => {
  if (HeaderLink.linkOf(page, "next") !== undefined) {
    return {
      paginator: HeaderLink.make({ linksNextKey: "next", stopCondition: undefined }),
      description: "header_link (Link header with rel=\"next\")",
      score: 1
    }
  }
  const next = findNext(page.body, [])
  if (next !== undefined && isUrl(next.value)) {
    const nextUrlPath = selectorFor(next.path)
    return {
      paginator: JsonLink.make({ nextUrlPath, stopCondition: undefined }),
      description: `json_link on '${nextUrlPath.source}'`,
      score: 1
    }
  }
  const total = findTotalPages(page.body, [])
  if (total !== undefined && isInteger(total.value)) {
    const totalPath = selectorFor(total.path)
    return {
      paginator: Range.make({
        type: "page_number",
        placement: query("page"),
        initial: 0,
        step: 1,
        fixed: undefined,
        totalPath,
        totalShift: 0,
        maximum: undefined,
        stopAfterEmptyPage: true,
        hasMorePath: undefined,
        stopCondition: undefined
      }),
      description: `page_number with total_path '${totalPath.source}' (base_page 0, page_param 'page')`,
      score: 0.5
    }
  }
  if (next !== undefined) {
    const cursorPath = selectorFor(next.path)
    return {
      paginator: Cursor.make({
        cursorPath,
        cursorPlacement: query("cursor"),
        fallbackKey: "cursor",
        cursorValue: undefined,
        limit: undefined,
        limitPlacement: query("limit"),
        stopAfterEmptyPage: false,
        hasMorePath: undefined,
        stopCondition: undefined
      }),
      description: `cursor on '${cursorPath.source}' (cursor_param 'cursor')`,
      score: 0.5
    }
  }
  return { paginator: SinglePage.make(), description: "single_page (no pagination found)", score: 0 }
}

/**
 * A fresh `auto` paginator. It is stateful (it remembers what the first page showed), so
 * make one per stream run; the resource holds the factory `() => Auto.make()`.
 */
export const make = (): AutoPaginator => {
  let detection: Detection | undefined
  return {
    get type() {
      return detection === undefined ? "auto" : detection.paginator.type
    },
    get detection() {
      return detection
    },
    // Nothing is known before the first response; the detected paginator's own first-request
    // params are not added afterwards either (dlt does not call init_request on it).
    first: (request) => request,
    next: (page) => {
      if (detection === undefined) detection = detect(page)
      return detection.paginator.next(page)
    }
  }
}

/** The detection of an `auto` paginator once it has seen its first page; undefined otherwise. */
export const detectionOf = (paginator: Paginator): Detection | undefined =>
  "detection" in paginator && isDetection(paginator.detection) ? paginator.detection : undefined

const isDetection = (u: unknown): u is Detection =>
  isRecord(u) && typeof u.description === "string" && typeof u.score === "number" && isRecord(u.paginator)
