/**
 * `data_selector`: the JSONPath (subset) that picks the records of a page, as in dlt's
 * `rest_api` source. Parsed once when the config is decoded, evaluated per page.
 *
 * Supported forms:
 * - the root `$` (the whole response);
 * - dotted keys, with or without the root: `data`, `data.items`, `$.data.items`, `a.b.c`;
 * - bracketed quoted keys (single or double quotes; `\'`, `\"` and `\\` escapes):
 *   `['@odata.value']`, `$['a.b']`, `["key with spaces"]`, `data['x.y'].z`;
 * - array indices, negative ones counting from the end: `data[0].items`, `data[-1]`;
 * - wildcards over array elements or object values: `data[*].items`, `data.*`, `$[*]`.
 *
 * Not supported (a syntax error): recursive descent `..`, filters `[?(...)]`, slices `[a:b]`, unions `[a,b]`.
 *
 * Records of a page (`select`), following dlt (`RESTClient.extract_response`):
 * - null or missing selection → `[]` (a page without records);
 * - a list → its elements; any other single value (e.g. an object) → `[value]`;
 * - a path with a wildcard that matches exactly one value is treated as that single value
 *   (dlt unwraps a one-element match list); with several matches, matched lists are flattened
 *   into one list of records (dlt would yield each list as a record), null matches are dropped,
 *   and matches of a trailing wildcard (`data[*]`) are records as they are.
 *
 * @since 0.1.0
 */
import { Data, Either, ParseResult, Predicate, Schema } from "effect"

/**
 * @since 0.1.0
 * @category errors
 */
export class DataSelectorSyntaxError extends Data.TaggedError("DataSelectorSyntaxError")<{
  readonly selector: string
  readonly message: string
}> {}

/**
 * One step of a parsed selector.
 *
 * @since 0.1.0
 * @category models
 */
export type Segment =
  | { readonly _tag: "Key"; readonly key: string }
  | { readonly _tag: "Index"; readonly index: number }
  | { readonly _tag: "Wildcard" }

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("effect-rest-connector/DataSelector")

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A parsed `data_selector`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DataSelector {
  readonly [TypeId]: TypeId
  /** The selector as written in the config. */
  readonly source: string
  /** The path below the root; empty for `$`. */
  readonly segments: ReadonlyArray<Segment>
  /** Whether any segment is a wildcard (the path may match several values). */
  readonly hasWildcard: boolean
}

const make = (source: string, segments: ReadonlyArray<Segment>): DataSelector => ({
  [TypeId]: TypeId,
  source,
  segments,
  hasWildcard: segments.some((s) => s._tag === "Wildcard")
})

/**
 * @since 0.1.0
 * @category guards
 */
export const isDataSelector = (u: unknown): u is DataSelector => Predicate.hasProperty(u, TypeId)

/**
 * The whole response (`$`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const root: DataSelector = make("$", [])

// ---------------------------------------------------------------------------
// parsing
// ---------------------------------------------------------------------------

const isBareKeyChar = (c: string): boolean => !(c === "." || c === "[" || c === "]" || c === "'" || c === "\"" ||
  c === "*" || c === " " || c === "\t" || c === "\n" || c === "\r")

const describe = (c: string | undefined): string => c === undefined ? "end of selector" : `'${c}'`

/**
 * Parses a selector. Errors name the selector and the (0-based) position of the problem.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (source: string): Either.Either<DataSelector, DataSelectorSyntaxError> => {
  const s = source.trim()
  // positions in messages refer to `source`, so account for leading whitespace
  const offset = source.length - source.trimStart().length
  const fail = (pos: number, what: string) =>
    Either.left(
      new DataSelectorSyntaxError({
        selector: source,
        message: `Invalid data_selector ${JSON.stringify(source)}: ${what} at position ${pos + offset}`
      })
    )
  if (s.length === 0) {
    return Either.left(new DataSelectorSyntaxError({ selector: source, message: "Invalid data_selector: it is empty" }))
  }
  const segments: Array<Segment> = []
  let pos = 0

  const readBareKey = (): string => {
    const start = pos
    while (pos < s.length && isBareKeyChar(s[pos])) pos++
    return s.slice(start, pos)
  }

  if (s[0] === "$") {
    pos = 1
  } else if (s[0] === ".") {
    return fail(0, "a selector cannot start with '.' (write `$.key` or `key`)")
  } else if (s[0] !== "[") {
    if (s[0] === "*") {
      segments.push({ _tag: "Wildcard" })
      pos = 1
    } else {
      const key = readBareKey()
      if (key.length === 0) return fail(0, `expected a key, found ${describe(s[0])}`)
      segments.push({ _tag: "Key", key })
    }
  }

  while (pos < s.length) {
    const c = s[pos]
    if (c === ".") {
      pos++
      const next = s[pos]
      if (next === undefined) return fail(pos, "expected a key after '.', found end of selector")
      if (next === ".") return fail(pos - 1, "recursive descent '..' is not supported")
      if (next === "*") {
        segments.push({ _tag: "Wildcard" })
        pos++
        continue
      }
      const keyStart = pos
      const key = readBareKey()
      if (key.length === 0) {
        return fail(keyStart, `expected a key after '.', found ${describe(next)} (quote odd keys as ['key'])`)
      }
      segments.push({ _tag: "Key", key })
    } else if (c === "[") {
      const open = pos
      pos++
      while (s[pos] === " ") pos++
      const q = s[pos]
      if (q === "'" || q === "\"") {
        const quoteStart = pos
        pos++
        let key = ""
        let closed = false
        while (pos < s.length) {
          const ch = s[pos]
          if (ch === "\\" && pos + 1 < s.length) {
            key += s[pos + 1]
            pos += 2
          } else if (ch === q) {
            closed = true
            pos++
            break
          } else {
            key += ch
            pos++
          }
        }
        if (!closed) return fail(quoteStart, `unterminated quoted key (missing closing ${q})`)
        segments.push({ _tag: "Key", key })
      } else if (q === "*") {
        pos++
        segments.push({ _tag: "Wildcard" })
      } else if (q !== undefined && /[-0-9]/.test(q)) {
        const m = /^-?[0-9]+/.exec(s.slice(pos))
        if (m === null) return fail(pos, `expected an integer index, found ${describe(q)}`)
        pos += m[0].length
        segments.push({ _tag: "Index", index: Number(m[0]) })
      } else {
        return fail(pos, `expected a quoted key, an integer index or '*' after '[', found ${describe(q)}`)
      }
      while (s[pos] === " ") pos++
      if (s[pos] !== "]") {
        return fail(pos, `expected ']' to close '[' at position ${open + offset}, found ${describe(s[pos])}`)
      }
      pos++
    } else {
      return fail(pos, `unexpected ${describe(c)}, expected '.' or '['`)
    }
  }
  return Either.right(make(source, segments))
}

/**
 * Parses a selector known to be valid; throws `DataSelectorSyntaxError` otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeParse = (source: string): DataSelector => Either.getOrThrowWith(parse(source), (e) => e)

/**
 * Schema decoding a selector string into a `DataSelector` (a syntax error is a parse error
 * at the field's path), and encoding it back to its source.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DataSelectorFromString: Schema.Schema<DataSelector, string> = Schema.transformOrFail(
  Schema.String,
  Schema.declare(isDataSelector, { identifier: "DataSelector" }),
  {
    strict: true,
    decode: (source, _, ast) =>
      Either.mapLeft(parse(source), (e) => new ParseResult.Type(ast, source, e.message)),
    encode: (selector) => ParseResult.succeed(selector.source)
  }
)

// ---------------------------------------------------------------------------
// evaluation
// ---------------------------------------------------------------------------

const isDigits = (key: string): boolean => key.length > 0 && /^[0-9]+$/.test(key)

const stepKey = (value: unknown, key: string): unknown => {
  if (Array.isArray(value)) return isDigits(key) ? value[Number(key)] : undefined
  if (Predicate.isRecord(value)) return Object.hasOwn(value, key) ? value[key] : undefined
  return undefined
}

const stepIndex = (value: unknown, index: number): unknown => {
  if (!Array.isArray(value)) return undefined
  const i = index < 0 ? value.length + index : index
  return i >= 0 && i < value.length ? value[i] : undefined
}

/** Follows a path without wildcards; `undefined` when absent. */
const walk = (segments: ReadonlyArray<Segment>, body: unknown): unknown => {
  let value = body
  for (const seg of segments) {
    if (value === undefined || value === null) return undefined
    value = seg._tag === "Key" ? stepKey(value, seg.key) : seg._tag === "Index" ? stepIndex(value, seg.index) : undefined
  }
  return value
}

/** All values matched by the path (absent ones left out), in document order. */
const matchAll = (segments: ReadonlyArray<Segment>, body: unknown): Array<unknown> => {
  let current: Array<unknown> = [body]
  for (const seg of segments) {
    const next: Array<unknown> = []
    for (const value of current) {
      if (seg._tag === "Wildcard") {
        if (Array.isArray(value)) {
          for (const v of value) next.push(v)
        } else if (Predicate.isRecord(value)) {
          for (const k of Object.keys(value)) next.push(value[k])
        }
      } else {
        const v = seg._tag === "Key" ? stepKey(value, seg.key) : stepIndex(value, seg.index)
        if (v !== undefined) next.push(v)
      }
    }
    current = next
  }
  return current
}

const recordsOf = (value: unknown): ReadonlyArray<unknown> =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]

/**
 * The records of a page: see the module comment for the rules.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const select = (selector: DataSelector, body: unknown): ReadonlyArray<unknown> => {
  if (!selector.hasWildcard) return recordsOf(walk(selector.segments, body))
  const matches = matchAll(selector.segments, body)
  if (matches.length === 1) return recordsOf(matches[0])
  const last = selector.segments[selector.segments.length - 1]
  const trailingWildcard = last !== undefined && last._tag === "Wildcard"
  const out: Array<unknown> = []
  for (const m of matches) {
    if (m === null) continue
    if (!trailingWildcard && Array.isArray(m)) {
      for (const v of m) out.push(v)
    } else {
      out.push(m)
    }
  }
  return out
}

/**
 * The raw value at the path (`undefined` when absent), for paths such as `cursors.next`,
 * `total` or `next`. A path with a wildcard returns the array of its matches instead.
 *
 * @since 0.1.0
 * @category evaluation
 */
export const readPath = (selector: DataSelector, body: unknown): unknown =>
  selector.hasWildcard ? matchAll(selector.segments, body) : walk(selector.segments, body)
