/**
 * Row identity: the `_rc_id` of every row. Child rows hash (parent id, table, list index), like
 * dlt's `_dlt_id`, so a record's children get the same ids in every run; root rows get an id
 * by `RootIds` (a random one, or a hash of the primary key or of the row's content).
 */
import * as Crypto from "node:crypto"
import { NormalizeFailure } from "./failure.js"
import { isRecord } from "./inference.js"
import type { Cell, ColumnSchema, Row } from "./tableSchema.js"
import { systemColumnNames } from "./tableSchema.js"

// Child row ids are a 128-bit MurmurHash3-style digest (x86_128 rounds) of the parent id, a
// 64-bit hash of the table name and the list index. The parent id is absorbed once per list;
// each item only pays for one block and the finalization: far cheaper than a crypto digest per
// row (this runs for every child row), and 128 bits keep accidental collisions out of reach.

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r))
const fmix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}
const c1 = 0x239b961b
const c2 = 0xab0e9789
const c3 = 0x38b34ae5
const c4 = 0xa1e38b93
const seed = 0x9747b28c

/** State after absorbing a string: h1..h4 and its length in bytes. */
const absorbed = new Int32Array(5)
const digestWords = new Int32Array(4)

const code = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0)

/**
 * Absorbs the UTF-16 code units of `s` (8 per 128-bit block, the last block zero-padded). The
 * batch builder absorbs a parent id once, then takes `childIdAt` for each item of its list; the
 * state is shared, so anything hashed in between (`tableWords`, nested lists) means absorbing again.
 */
export const absorb = (s: string): void => {
  let h1 = seed
  let h2 = seed
  let h3 = seed
  let h4 = seed
  const n = s.length
  for (let i = 0; i < n; i += 8) {
    let k1 = code(s, i) | (code(s, i + 1) << 16)
    let k2 = code(s, i + 2) | (code(s, i + 3) << 16)
    let k3 = code(s, i + 4) | (code(s, i + 5) << 16)
    let k4 = code(s, i + 6) | (code(s, i + 7) << 16)
    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2)
    h1 ^= k1
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0
    k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3)
    h2 ^= k2
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0
    k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4)
    h3 ^= k3
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0
    k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1)
    h4 ^= k4
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0
  }
  absorbed[0] = h1
  absorbed[1] = h2
  absorbed[2] = h3
  absorbed[3] = h4
  absorbed[4] = n * 2
}

/** 64-bit hash of a table name, as two words (computed once per table). */
export const tableWords = (table: string): readonly [number, number] => {
  absorb(table)
  return [fmix(absorbed[0] ^ absorbed[4]), fmix(absorbed[1] ^ absorbed[2] ^ absorbed[3])]
}

/** Mixes (table, idx) as one block into the absorbed parent id and finalizes into `digestWords`. */
const finish = (table1: number, table2: number, idx: number): void => {
  let h1 = absorbed[0]
  let h2 = absorbed[1]
  let h3 = absorbed[2]
  let h4 = absorbed[3]
  h1 ^= Math.imul(rotl(Math.imul(table1, c1), 15), c2)
  h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0
  h2 ^= Math.imul(rotl(Math.imul(table2, c2), 16), c3)
  h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0
  h3 ^= Math.imul(rotl(Math.imul(idx | 0, c3), 17), c4)
  h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0
  h4 ^= Math.imul(rotl(Math.imul(Math.floor(idx / 4294967296) | 0, c4), 18), c1)
  h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0
  const len = absorbed[4] + 16
  h1 ^= len
  h2 ^= len
  h3 ^= len
  h4 ^= len
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  h1 = fmix(h1)
  h2 = fmix(h2)
  h3 = fmix(h3)
  h4 = fmix(h4)
  h1 = (h1 + h2 + h3 + h4) | 0
  digestWords[0] = h1
  digestWords[1] = (h2 + h1) | 0
  digestWords[2] = (h3 + h1) | 0
  digestWords[3] = (h4 + h1) | 0
}

const base64urlCodes = Uint8Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", (c) => c.charCodeAt(0))

/** 22 base64url chars of the 128 bits in `digestWords`, built as one flat string. */
const encodeDigest = (): string => {
  const c = base64urlCodes
  const w0 = digestWords[0]
  const w1 = digestWords[1]
  const w2 = digestWords[2]
  const w3 = digestWords[3]
  return String.fromCharCode(
    c[w0 >>> 26], c[(w0 >>> 20) & 63], c[(w0 >>> 14) & 63], c[(w0 >>> 8) & 63], c[(w0 >>> 2) & 63],
    c[((w0 & 3) << 4) | (w1 >>> 28)], c[(w1 >>> 22) & 63], c[(w1 >>> 16) & 63], c[(w1 >>> 10) & 63],
    c[(w1 >>> 4) & 63], c[((w1 & 15) << 2) | (w2 >>> 30)], c[(w2 >>> 24) & 63], c[(w2 >>> 18) & 63],
    c[(w2 >>> 12) & 63], c[(w2 >>> 6) & 63], c[w2 & 63], c[w3 >>> 26], c[(w3 >>> 20) & 63],
    c[(w3 >>> 14) & 63], c[(w3 >>> 8) & 63], c[(w3 >>> 2) & 63], c[(w3 & 3) << 4]
  )
}

/** Deterministic child row id: a digest of (parent id, table, list index), like dlt's `_dlt_id`. */
export const childRowId = (parentId: string, table: string, listIdx: number): string => {
  const [t1, t2] = tableWords(table)
  absorb(parentId)
  return childIdAt(t1, t2, listIdx)
}

/** Id of item `idx` of a list of the table hashed to (`table1`, `table2`), under the parent id absorbed last. */
export const childIdAt = (table1: number, table2: number, idx: number): string => {
  finish(table1, table2, idx)
  return encodeDigest()
}

const sha256Base64url: (s: string) => string = typeof Crypto.hash === "function"
  ? (s) => Crypto.hash("sha256", s, "base64url")
  : (s) => Crypto.createHash("sha256").update(s, "utf8").digest("base64url")

/** A key cell's text form, so `5` and `"5"` (both stored as 5 in a bigint column) hash alike. */
export const keyText = (cell: Cell): string =>
  cell instanceof Date ? cell.toISOString() : typeof cell === "object" && cell !== null ? JSON.stringify(cell) : String(cell)

/**
 * Root row id of a merge table: 22 base64url chars (132 bits) of sha256 of the JSON array of the
 * key values' text forms, so the same key gets the same id in every run. A crypto hash here:
 * keys come from the API.
 */
export const mergeRowId = (keyValues: ReadonlyArray<Cell>): string => {
  // `JSON.stringify(keyValues.map(keyText))`, built without the array (a third of the cost).
  let json = "["
  for (let i = 0; i < keyValues.length; i++) json += (i === 0 ? "" : ",") + JSON.stringify(keyText(keyValues[i]))
  return sha256Base64url(json + "]").slice(0, 22)
}

/** JSON with object keys sorted at every level, so equal jsonb cells hash alike whatever their key order. */
const stableJson = (u: unknown): string => {
  if (u instanceof Date) return JSON.stringify(u.toISOString())
  if (Array.isArray(u)) return "[" + u.map((v) => (v === undefined ? "null" : stableJson(v))).join(",") + "]"
  if (isRecord(u)) {
    const parts: Array<string> = []
    for (const key of Object.keys(u).sort()) {
      const v = u[key]
      if (v !== undefined) parts.push(JSON.stringify(key) + ":" + stableJson(v))
    }
    return "{" + parts.join(",") + "}"
  }
  return JSON.stringify(u) ?? "null"
}

/**
 * Root row id from the row's data (dlt's scd2 row hash): its data columns in name order, system
 * columns left out, so an unchanged record keeps its id across loads and a changed one gets a new
 * one. Cells are hashed in their stored form (`5` and `"5"` in a bigint column alike).
 */
export const contentRowId = (row: Row): string => {
  const parts: Array<string> = []
  for (const name of Object.keys(row).sort()) {
    const cell = row[name]
    if (cell === null || cell === undefined || systemColumnNames.has(name)) continue
    parts.push(JSON.stringify(name), typeof cell === "object" && !(cell instanceof Date) ? stableJson(cell) : JSON.stringify(keyText(cell)))
  }
  return sha256Base64url("[" + parts.join(",") + "]").slice(0, 22)
}

/**
 * How a root row's `_rc_id` is made (NormalizerOptions.rootId): `key` = hash of the primary key,
 * `content` = hash of the row's data, `random`, `{ column }` = that root column's value as text.
 */
export type RootIdMode = "key" | "content" | "random" | { readonly column: string }

/** Makes the root row ids of one resource. */
export class RootIds {
  /** Random ids are this run's prefix and a counter: unique without a crypto call per row. */
  private readonly prefix = Crypto.randomBytes(9).toString("base64url")
  private counter = 0

  constructor(readonly mode: RootIdMode, readonly primaryKey: ReadonlyArray<string>) {}

  /** The id of a root row of `table`, filled but for its id; `columns` only words error messages. */
  idOf(row: Row, table: string, columns: ReadonlyMap<string, ColumnSchema>): string {
    const mode = this.mode
    if (mode === "key") {
      const key: Array<Cell> = []
      for (const name of this.primaryKey) {
        const v = row[name]
        if (v === undefined || v === null) {
          throw new NormalizeFailure({
            message: `primary key column ${name} is missing or null${columns.has(name) ? "" : " (no such column)"}, or its value does not fit the column's type`,
            table,
            column: name
          })
        }
        key.push(v)
      }
      return mergeRowId(key)
    }
    if (mode === "content") return contentRowId(row)
    if (typeof mode === "object") {
      const v = row[mode.column]
      if (v === undefined || v === null) {
        throw new NormalizeFailure({
          message: `row version column ${mode.column} is missing or null${columns.has(mode.column) ? "" : " (no such column)"}`,
          table,
          column: mode.column
        })
      }
      return keyText(v)
    }
    return this.prefix + (this.counter++).toString(36)
  }
}
