/**
 * `paginator` (endpoint > resource_defaults > client, as dlt): a spec with its paths and
 * expressions parsed, or a TypeScript config's own paginator, kept as it is. dlt's rules on
 * what may not be combined (and what could page forever) are config errors.
 */
import * as DataSelector from "../syntax/dataSelector.js"
import * as Expression from "../syntax/expression.js"
import { type ConfigIssue, issue } from "./configError.js"
import { body, type PaginatorSpec, type Placement, query, type StopCondition } from "./paginatorSpec.js"
import { orIssue } from "./resolveSupport.js"
import type { CustomPaginatorConfig, PaginatorConfig } from "./schema.js"

export const parsePath = (source: string, path: string, issues: Array<ConfigIssue>): DataSelector.DataSelector | undefined =>
  orIssue(DataSelector.parse(source), path, issues)

const parseCondition = (
  value: string | ((...args: ReadonlyArray<never>) => unknown) | undefined,
  path: string,
  issues: Array<ConfigIssue>
): StopCondition | undefined => {
  if (value === undefined) return undefined
  if (typeof value === "function") {
    const f = value
    return { _tag: "Function", f: (scope) => Reflect.apply(f, undefined, [scope]) }
  }
  const expression = orIssue(Expression.parse(value, Expression.PaginationNames), path, issues)
  return expression === undefined ? undefined : { _tag: "Expression", expression }
}

type PaginatorObject = Exclude<PaginatorConfig, string | CustomPaginatorConfig>

/** The string form (`paginator: "cursor"`) is the object form with dlt's defaults. */
const paginatorObject = (
  config: Exclude<PaginatorConfig, CustomPaginatorConfig>,
  path: string,
  issues: Array<ConfigIssue>
): PaginatorObject | undefined => {
  if (typeof config !== "string") return config
  if (config === "offset") {
    issues.push(issue(path, "the offset paginator needs 'limit': write it as { type: \"offset\", limit: N }"))
    return undefined
  }
  return { type: config }
}

/** The spec of a paginator config; undefined (with issues) when it is not valid. */
export const resolvePaginator = (
  config: PaginatorConfig | undefined,
  path: string,
  issues: Array<ConfigIssue>
): PaginatorSpec | undefined => {
  if (config === undefined) return { _tag: "Auto" }
  if (typeof config === "function") {
    const factory = config
    return { _tag: "CustomFactory", factory: () => Reflect.apply(factory, undefined, []) }
  }
  if (typeof config === "object" && config.type === undefined) return { _tag: "Custom", paginator: config }
  return resolveBuiltIn(config, path, issues)
}

const resolveBuiltIn = (
  config: Exclude<PaginatorConfig, CustomPaginatorConfig>,
  path: string,
  issues: Array<ConfigIssue>
): PaginatorSpec | undefined => {
  const spec = paginatorObject(config, path, issues)
  if (spec === undefined) return undefined
  const before = issues.length
  const stopCondition = parseCondition(spec.stop_condition, `${path}.stop_condition`, issues)
  const optPath = (source: string | null | undefined, key: string) =>
    source === undefined || source === null ? undefined : parsePath(source, `${path}.${key}`, issues)
  const done = (paginator: PaginatorSpec) => (issues.length > before ? undefined : paginator)
  switch (spec.type) {
    case "single_page":
      return done({ _tag: "SinglePage" })
    case "json_link":
    case "json_response": {
      const next = parsePath(spec.next_url_path ?? "next", `${path}.next_url_path`, issues)
      return next === undefined ? undefined : done({ _tag: "JsonLink", options: { nextUrlPath: next, stopCondition } })
    }
    case "cursor": {
      if (spec.cursor_value !== undefined && spec.cursor_path !== undefined) {
        issues.push(issue(`${path}.cursor_value`, "cursor_value and cursor_path exclude each other: give one"))
      }
      return done({ _tag: "Cursor", options: {
        cursorPath: optPath(spec.cursor_path, "cursor_path"),
        cursorPlacement: placement(spec.cursor_param, spec.cursor_body_path, "cursor", "cursor_param", path, issues),
        fallbackKey: spec.cursor_param ?? "cursor",
        cursorValue: parseCondition(spec.cursor_value, `${path}.cursor_value`, issues),
        limit: spec.limit,
        limitPlacement: query(spec.limit_param ?? "limit"),
        stopAfterEmptyPage: spec.stop_after_empty_page ?? false,
        hasMorePath: optPath(spec.has_more_path, "has_more_path"),
        stopCondition
      } })
    }
    case "offset": {
      const totalPath = spec.total_path === undefined ? "total" : spec.total_path
      const maximum = spec.maximum_offset ?? undefined
      const stopAfterEmptyPage = spec.stop_after_empty_page ?? true
      requireTermination(totalPath, maximum, spec.has_more_path, stopAfterEmptyPage, stopCondition, path, issues)
      return done({ _tag: "Range", options: {
        type: "offset",
        placement: placement(spec.offset_param, spec.offset_body_path, "offset", "offset_param", path, issues),
        initial: spec.offset ?? 0,
        step: spec.limit,
        fixed: {
          placement: placement(spec.limit_param, spec.limit_body_path, "limit", "limit_param", path, issues),
          value: spec.limit
        },
        totalPath: optPath(totalPath, "total_path"),
        totalShift: 0,
        maximum,
        stopAfterEmptyPage,
        hasMorePath: optPath(spec.has_more_path, "has_more_path"),
        stopCondition,
        concurrency: rangeConcurrency(spec, totalPath, maximum, path, issues)
      } })
    }
    case "page_number": {
      const base = spec.base_page ?? 0
      const totalPath = spec.total_path === undefined ? "total" : spec.total_path
      const maximum = spec.maximum_page ?? undefined
      const stopAfterEmptyPage = spec.stop_after_empty_page ?? true
      requireTermination(totalPath, maximum, spec.has_more_path, stopAfterEmptyPage, stopCondition, path, issues)
      return done({ _tag: "Range", options: {
        type: "page_number",
        placement: placement(spec.page_param, spec.page_body_path, "page", "page_param", path, issues),
        initial: spec.page ?? base,
        step: 1,
        fixed: undefined,
        totalPath: optPath(totalPath, "total_path"),
        // dlt's total_path counts pages, so the last page is number total - 1 + base.
        totalShift: base,
        maximum,
        stopAfterEmptyPage,
        hasMorePath: optPath(spec.has_more_path, "has_more_path"),
        stopCondition,
        concurrency: rangeConcurrency(spec, totalPath, maximum, path, issues)
      } })
    }
    case "header_link":
      return done({ _tag: "HeaderLink", options: {
        linksNextKey: spec.links_next_key ?? "next",
        stopCondition,
        concurrency: linkConcurrency(spec, path, issues)
      } })
    case "header_cursor":
      return done({ _tag: "HeaderCursor", options: {
        cursorKey: spec.cursor_key ?? "next",
        cursorPlacement: query(spec.cursor_param ?? "cursor"),
        stopCondition
      } })
    case "auto":
      return issues.length > before ? undefined : { _tag: "Auto" }
  }
}

/** Pages in flight per endpoint when the paginator can address them and the config does not say (1: dlt's strict order). */
export const defaultPageConcurrency = 8

/**
 * `concurrency` needs the pages to be known from the first one: not with has_more_path or
 * stop_condition. Said explicitly, that is a config error; by default such paginators page one by one.
 */
const rangeConcurrency = (
  spec: {
    readonly concurrency?: number | undefined
    readonly has_more_path?: string | null | undefined
    readonly stop_condition?: unknown
  },
  totalPath: string | null,
  maximum: number | undefined,
  path: string,
  issues: Array<ConfigIssue>
): number => {
  const unknownEnd = totalPath === null && maximum === undefined
  const pageByPage = (spec.has_more_path !== undefined && spec.has_more_path !== null) || spec.stop_condition !== undefined
  if (spec.concurrency === undefined) return unknownEnd || pageByPage ? 1 : defaultPageConcurrency
  if (spec.concurrency === 1) return 1
  const needs = "concurrent pages need the total (total_path) or a maximum"
  if (unknownEnd) {
    issues.push(issue(`${path}.concurrency`, `${needs}: this paginator has neither`))
  } else if (spec.has_more_path !== undefined && spec.has_more_path !== null) {
    issues.push(issue(`${path}.concurrency`, `${needs}: has_more_path is only known page by page`))
  } else if (spec.stop_condition !== undefined) {
    issues.push(issue(`${path}.concurrency`, `${needs}: a stop_condition is only known page by page`))
  }
  return spec.concurrency
}

/** `header_link`: concurrent once the first page's `rel="last"` link numbers the pages; not with a stop_condition. */
const linkConcurrency = (
  spec: { readonly concurrency?: number | undefined; readonly stop_condition?: unknown },
  path: string,
  issues: Array<ConfigIssue>
): number => {
  if (spec.concurrency === undefined) return spec.stop_condition === undefined ? defaultPageConcurrency : 1
  if (spec.concurrency > 1 && spec.stop_condition !== undefined) {
    issues.push(issue(`${path}.concurrency`, "concurrent pages need every page known from the first: a stop_condition is only known page by page"))
  }
  return spec.concurrency
}

/** A `*_param` or its `*_body_path` (they exclude each other, as in dlt). */
const placement = (
  param: string | undefined,
  bodyPath: string | undefined,
  defaultParam: string,
  paramKey: string,
  path: string,
  issues: Array<ConfigIssue>
): Placement => {
  if (bodyPath === undefined) return query(param ?? defaultParam)
  if (param !== undefined) {
    issues.push(issue(`${path}.${paramKey}`, `${paramKey} and its body path exclude each other: give one`))
  }
  return body(bodyPath)
}

/** dlt refuses a range paginator that could page forever (test_guarantee_termination). */
const requireTermination = (
  totalPath: string | null | undefined,
  maximum: number | undefined | null,
  hasMorePath: string | null | undefined,
  stopAfterEmptyPage: boolean,
  stopCondition: unknown,
  path: string,
  issues: Array<ConfigIssue>
) => {
  if (
    (totalPath === undefined || totalPath === null) && (maximum === undefined || maximum === null) &&
    (hasMorePath === undefined || hasMorePath === null) && !stopAfterEmptyPage && stopCondition === undefined
  ) {
    issues.push(
      issue(path, "this paginator could never stop: set one of total_path, maximum_*, has_more_path, stop_after_empty_page or stop_condition")
    )
  }
}
