/**
 * Paginators as the config describes them, as data: which paginator, its paths parsed, its
 * expressions parsed. `internal/paginate` builds the running paginator from a spec where a
 * stream starts, so config resolution never builds runtime objects.
 */
import type * as DataSelector from "../syntax/dataSelector.js"
import type * as Expression from "../syntax/expression.js"

/** Where a paginator puts a value: a query param, or a path in the JSON body (`*_body_path`). */
export type Placement =
  | { readonly _tag: "Query"; readonly name: string }
  | { readonly _tag: "Body"; readonly path: ReadonlyArray<string> }

export const query = (name: string): Placement => ({ _tag: "Query", name })
/** dlt's `*_body_path` is a dotted path into the JSON body; missing objects are created. */
export const body = (path: string): Placement => ({ _tag: "Body", path: path.split(".") })

/** Names visible to stop_condition / cursor_value (DESIGN.md §2). */
export interface PageScope {
  readonly response: unknown
  readonly headers: Readonly<Record<string, string>>
  readonly last_page: ReadonlyArray<unknown>
  readonly last_record: unknown
  readonly last_page_size: number
  readonly page_index: number
}

/** A user-supplied stop condition: an expression parsed at config time, or a TypeScript function. */
export type StopCondition =
  | { readonly _tag: "Expression"; readonly expression: Expression.Expression }
  | { readonly _tag: "Function"; readonly f: (scope: PageScope) => unknown }

export interface CursorOptions {
  /** Where the next cursor is; undefined = dlt's `cursors.next` with our fall-back to `cursor_param`. */
  readonly cursorPath: DataSelector.DataSelector | undefined
  /** Where the cursor goes: `cursor_param` (query) or `cursor_body_path`. */
  readonly cursorPlacement: Placement
  /** The top-level key read when neither `cursor_path` nor `cursors.next` gives a cursor (`cursor_param`). */
  readonly fallbackKey: string
  /** Our extension: computes the cursor from the page instead of reading `cursorPath`. */
  readonly cursorValue: StopCondition | undefined
  readonly limit: number | undefined
  readonly limitPlacement: Placement
  readonly stopAfterEmptyPage: boolean
  readonly hasMorePath: DataSelector.DataSelector | undefined
  readonly stopCondition: StopCondition | undefined
}

export interface RangeOptions {
  readonly type: "offset" | "page_number"
  /** Where the position goes: `*_param` (query) or `*_body_path`. */
  readonly placement: Placement
  readonly initial: number
  readonly step: number
  /** A fixed value sent with every request (offset's `limit`). */
  readonly fixed: { readonly placement: Placement; readonly value: number } | undefined
  readonly totalPath: DataSelector.DataSelector | undefined
  /**
   * Added to the total to get the position after which no page is fetched: 0 for offsets,
   * `base_page` for page numbers (dlt's total_path counts pages, so the last is total - 1 + base).
   */
  readonly totalShift: number
  readonly maximum: number | undefined
  readonly stopAfterEmptyPage: boolean
  readonly hasMorePath: DataSelector.DataSelector | undefined
  readonly stopCondition: StopCondition | undefined
  /**
   * Pages fetched at a time once the first page gives the total (or a maximum is set); 1 =
   * one after another. Not with `has_more_path` or `stop_condition`, which need every page.
   */
  readonly concurrency?: number | undefined
}

export interface JsonLinkOptions {
  readonly nextUrlPath: DataSelector.DataSelector
  readonly stopCondition: StopCondition | undefined
}

export interface HeaderLinkOptions {
  /** The `rel` of the next page's link (`links_next_key`). */
  readonly linksNextKey: string
  readonly stopCondition: StopCondition | undefined
  /** Pages fetched at a time once the first page's `rel="last"` link numbers them (ours; default 1: one by one). */
  readonly concurrency?: number | undefined
}

export interface HeaderCursorOptions {
  /** The response header holding the next cursor (`cursor_key`). */
  readonly cursorKey: string
  /** Where the cursor goes (`cursor_param`, a query param). */
  readonly cursorPlacement: Placement
  readonly stopCondition: StopCondition | undefined
}

export type PaginatorSpec =
  | { readonly _tag: "Auto" }
  | { readonly _tag: "SinglePage" }
  | { readonly _tag: "JsonLink"; readonly options: JsonLinkOptions }
  | { readonly _tag: "Cursor"; readonly options: CursorOptions }
  | { readonly _tag: "Range"; readonly options: RangeOptions }
  | { readonly _tag: "HeaderLink"; readonly options: HeaderLinkOptions }
  | { readonly _tag: "HeaderCursor"; readonly options: HeaderCursorOptions }
  /** A TypeScript config's own paginator object (checked when a stream starts). */
  | { readonly _tag: "Custom"; readonly paginator: unknown }
  /** A TypeScript config's factory of paginators: called once per stream. */
  | { readonly _tag: "CustomFactory"; readonly factory: () => unknown }
