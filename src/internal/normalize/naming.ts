/**
 * dlt's default `snake_case` naming convention: JSON keys and resource names → Postgres identifiers.
 *
 * Rules (dlt `dlt/common/normalizers/naming/snake_case.py`, reimplemented):
 * trim; `+ - * @ |` → `x _ x a l`; every other run of non `[A-Za-z0-9_]` characters → `_`;
 * camelCase → snake_case; lowercase; a leading digit gets a `_` prefix; each trailing `_` → `x`;
 * runs of `__` collapse to `_` (`__` is reserved as the path separator).
 *
 * Unlike dlt (which reduces every non-ASCII character to `_`, so `café` → `cafx` and `日本語` → `x`),
 * accented Latin letters lose their accents (`café` → `cafe`, `Straße` → `strasse`) and letters
 * and digits of other scripts are kept (`日本語`, `привет`): Postgres identifiers hold them.
 * Keys that still end up with one name are told apart by nameClaims.ts.
 */
import * as Crypto from "node:crypto"

/** Separator between path parts in flattened column names and child table names. */
export const PathSeparator = "__"

/** Postgres truncates identifiers longer than this (NAMEDATALEN - 1), in bytes. */
export const MaxIdentifierBytes = 63

// Fixed-size memo: the normalizer asks for the same few keys millions of times, but a source
// with dynamic keys (ids used as keys) must not grow memory without bound.
const cacheLimit = 10_000
const cache = new Map<string, string>()

/** dlt snake_case of one identifier (not shortened; see `shorten`). An empty name becomes `_`. */
export const normalizeIdentifier = (name: string): string => {
  const hit = cache.get(name)
  if (hit !== undefined) return hit
  const out = compute(name)
  if (cache.size >= cacheLimit) {
    // Drop the oldest entry (Map keeps insertion order).
    const oldest = cache.keys().next()
    if (oldest.done !== true) cache.delete(oldest.value)
  }
  cache.set(name, out)
  return out
}

/** Table name for a resource: normalized and shortened to fit Postgres. */
export const normalizeTableName = (name: string): string => shorten(normalizeIdentifier(name))

/** Normalizes each part and joins them with `__` (not shortened). */
export const normalizePath = (parts: ReadonlyArray<string>): string => parts.map(normalizeIdentifier).join(PathSeparator)

const breakBeforeWord = /([^_])([A-Z][a-z]+)/g
const breakAfterLower = /([a-z0-9])([A-Z])/g
const repeatedUnderscores = /__+/g

const isLowerAlnumOrUnderscore = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false
  return true
}

const isAsciiAlnumOrUnderscore = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95

/** True when `s` is already a fixed point of the convention (the common case: skip the regexes). */
const isAlreadyNormal = (s: string): boolean => {
  const n = s.length
  if (n === 0) return false
  const first = s.charCodeAt(0)
  if (first >= 48 && first <= 57) return false
  if (s.charCodeAt(n - 1) === 95) return false
  let previous = 0
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (!isLowerAlnumOrUnderscore(c)) return false
    if (c === 95 && previous === 95) return false
    previous = c
  }
  return true
}

// Latin letters that NFKD does not take apart into a base letter and marks.
const latinLetters: Readonly<Record<string, string>> = {
  "ß": "ss",
  "ẞ": "SS",
  "æ": "ae",
  "Æ": "AE",
  "œ": "oe",
  "Œ": "OE",
  "ø": "o",
  "Ø": "O",
  "đ": "d",
  "Đ": "D",
  "ð": "d",
  "Ð": "D",
  "þ": "th",
  "Þ": "TH",
  "ł": "l",
  "Ł": "L",
  "ı": "i",
  "ħ": "h",
  "Ħ": "H"
}
const latinSpecials = /[ßẞæÆœŒøØđĐðÐþÞłŁıħĦ]/g
const marksOnLatin = /([A-Za-z])\p{M}+/gu
const letterOrDigit = /^[\p{L}\p{N}\p{M}]$/u

/**
 * Accents off Latin letters (NFKD, marks after an ASCII letter dropped, a few letters spelled
 * out), other scripts recomposed as they were (NFC: kana with their voicing marks, Hangul).
 */
const foldLatin = (s: string): string =>
  s.normalize("NFKD").replace(marksOnLatin, "$1").replace(latinSpecials, (c) => latinLetters[c] ?? c).normalize("NFC")

const compute = (name: string): string => {
  const trimmed = name.trim()
  if (trimmed.length === 0) return "_"
  if (isAlreadyNormal(trimmed)) return trimmed
  const text = isAscii(trimmed) ? trimmed : foldLatin(trimmed)

  // Reduce the alphabet; a run of other characters becomes a single `_`.
  let reduced = ""
  let inRun = false
  for (const ch of text) {
    const c = ch.charCodeAt(0)
    let out: string | undefined
    if (isAsciiAlnumOrUnderscore(c)) out = ch
    else if (c === 43 || c === 42) out = "x" // + *
    else if (c === 45) out = "_" // -
    else if (c === 64) out = "a" // @
    else if (c === 124) out = "l" // |
    else if (c >= 128 && letterOrDigit.test(ch)) out = ch
    if (out === undefined) {
      if (!inRun) reduced += "_"
      inRun = true
    } else {
      reduced += out
      inRun = false
    }
  }

  let snake = reduced.replace(breakBeforeWord, "$1_$2").replace(breakAfterLower, "$1_$2").toLowerCase()
  const first = snake.charCodeAt(0)
  if (first >= 48 && first <= 57) snake = "_" + snake

  // Each trailing `_` becomes `x` (before collapsing, as dlt does), so `a__` → `axx`.
  let end = snake.length
  while (end > 0 && snake.charCodeAt(end - 1) === 95) end--
  if (end < snake.length) snake = snake.slice(0, end) + "x".repeat(snake.length - end)

  return snake.replace(repeatedUnderscores, "_")
}

// dlt's tag: 4 bytes of shake128 → base64 without padding, `/+` → `ab`, lowercased (6 chars).
export const tagOf = (identifier: string): string => {
  const digest = Crypto.createHash("shake128", { outputLength: 4 }).update(identifier, "utf8").digest("base64")
  let tag = ""
  for (let i = 0; i < digest.length; i++) {
    const ch = digest[i]
    if (ch === "=") continue
    tag += ch === "/" ? "a" : ch === "+" ? "b" : ch
  }
  return tag.toLowerCase()
}

/** Longest prefix of `s` (whole code points) that fits in `maxBytes` UTF-8 bytes. */
const headBytes = (s: string, maxBytes: number): string => {
  let bytes = 0
  let i = 0
  while (i < s.length) {
    const cp = s.codePointAt(i) ?? 0
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + size > maxBytes) break
    bytes += size
    i += cp >= 0x10000 ? 2 : 1
  }
  return s.slice(0, i)
}

/** Longest suffix of `s` (whole code points) that fits in `maxBytes` UTF-8 bytes. */
const tailBytes = (s: string, maxBytes: number): string => {
  let bytes = 0
  let i = s.length
  while (i > 0) {
    const low = s.charCodeAt(i - 1)
    const isPair = low >= 0xdc00 && low <= 0xdfff && i >= 2
    const cp = s.codePointAt(isPair ? i - 2 : i - 1) ?? 0
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (bytes + size > maxBytes) break
    bytes += size
    i -= cp >= 0x10000 ? 2 : 1
  }
  return s.slice(i)
}

/**
 * Fits an identifier into `maxBytes` UTF-8 bytes (Postgres: 63), like dlt's `shorten_identifier`:
 * keep the head and the tail and put a 6-char hash of the whole identifier in the middle, so the
 * result is deterministic and distinct names stay distinct. Identifiers that fit are returned as is.
 */
export const shorten = (identifier: string, maxBytes: number = MaxIdentifierBytes): string => {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit: skip the byte count for short names.
  if (identifier.length * 3 <= maxBytes || Buffer.byteLength(identifier, "utf8") <= maxBytes) return identifier
  const tag = tagOf(identifier)
  if (tag.length >= maxBytes) return tag.slice(0, Math.max(0, maxBytes))
  const remaining = maxBytes - tag.length
  const tailSize = Math.floor(remaining / 2)
  return headBytes(identifier, remaining - tailSize) + tag + tailBytes(identifier, tailSize)
}

/** Name of the column holding a list's scalar items (dlt). */
export const ValueColumn = "value"
/** Intermediate key for a list inside a list (dlt): `<table>__list`. */
export const ListKey = "list"
/** dlt's replacement for empty or blank keys. */
export const EmptyKey = "_empty"

/** Names of our system tables start with this; no data table may (it would alter ours). */
export const ReservedPrefix = "_rc_"

/** A table name (as it will be stored) that belongs to our system tables' namespace. */
export const isReservedTableName = (name: string): boolean => normalizeIdentifier(name).startsWith(ReservedPrefix)
