/**
 * Writes COPY text straight into Buffers, value by value (`ChunkEncoder`): no line or chunk
 * strings are built. Rows of one table are encoded by `RowsEncoder` (rowsEncoder.ts).
 */
import type { ColumnKind } from "./copyText.js"
import { civilInto } from "../civilDate.js"
import { encodeValue, jsonText, NULL } from "./copyText.js"

export const TAB = 9
export const NEWLINE = 10
const BACKSLASH = 92

/** The escape letter of a byte that COPY text must escape (backslash, \n, \r, \t), else 0. */
const escapeLetter = (c: number): number =>
  c === BACKSLASH ? BACKSLASH : c === NEWLINE ? 110 : c === 13 ? 114 : c === TAB ? 116 : 0

/** Strings up to this length are copied byte by byte; longer ones by `Buffer.write`. */
const shortString = 48

/** Room for the row that crosses a chunk's size; a longer row grows its buffer. */
export const slack = 1 << 16

const noBuffer = Buffer.alloc(0)

/** Year, month and day of the timestamp being written. */
const civil = new Int32Array(3)

/**
 * Writes COPY text straight into Buffers: no line or chunk strings are built (concatenating
 * them was the loader's biggest source of garbage). A row never spans two chunks. Buffers come
 * from `acquire` (chunkBytes + slack bytes each), so a writer can reuse them.
 */
export class ChunkEncoder {
  buf: Buffer = noBuffer
  pos = 0
  constructor(readonly chunkBytes: number, readonly acquire: () => Buffer) {}

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    if (this.pos === 0 && bytes <= this.chunkBytes + slack) {
      this.buf = this.acquire()
      return
    }
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes + slack))
    this.buf.copy(bigger, 0, 0, this.pos)
    this.buf = bigger
  }

  byte(c: number): void {
    this.ensure(1)
    this.buf[this.pos++] = c
  }

  /** ASCII text that needs no escaping (numbers, ISO dates, `true`). */
  ascii(s: string): void {
    const n = s.length
    this.ensure(n)
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i)
    this.pos = pos
  }

  /** Any string, escaped for COPY text, as UTF-8. */
  text(s: string): void {
    const n = s.length
    // UTF-8 takes at most 3 bytes per UTF-16 unit; an escaped character takes 2.
    this.ensure(3 * n)
    if (n > shortString) {
      this.utf8(s)
      return
    }
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) {
        // Not ASCII: the native encoder writes it (from the start; nothing was committed yet).
        this.utf8(s)
        return
      }
      if (c < 32 || c === BACKSLASH) {
        const letter = escapeLetter(c)
        if (letter !== 0) {
          buf[pos++] = BACKSLASH
          buf[pos++] = letter
          continue
        }
      }
      buf[pos++] = c
    }
    this.pos = pos
  }

  /**
   * One native UTF-8 write, then the escapes made in place: a scan of the bytes written counts
   * the four that COPY text escapes (in UTF-8 they only ever stand for themselves), and, if
   * there are any, the bytes are moved up from the end, each escape taking one byte more (the
   * room `text` ensured covers it: an escaped character takes 2 bytes, any other at most 3).
   * A regex replace with a function per match cost 2 µs for a short multi-line string.
   */
  private utf8(s: string): void {
    const buf = this.buf
    const start = this.pos
    const end = start + buf.write(s, start)
    let escapes = 0
    for (let i = start; i < end; i++) {
      const b = buf[i]
      if ((b < 32 || b === BACKSLASH) && escapeLetter(b) !== 0) escapes++
    }
    this.pos = end + escapes
    let dst = end + escapes - 1
    for (let src = end - 1; escapes > 0; src--) {
      const b = buf[src]
      const letter = b < 32 || b === BACKSLASH ? escapeLetter(b) : 0
      if (letter === 0) {
        buf[dst--] = b
      } else {
        buf[dst--] = letter
        buf[dst--] = BACKSLASH
        escapes--
      }
    }
  }

  nonNegativeInteger(v: number): void {
    this.ensure(16)
    const buf = this.buf
    if (v < 10) {
      buf[this.pos++] = 48 + v
      return
    }
    let digits = 0
    for (let x = v; x > 0; x = Math.floor(x / 10)) digits++
    let end = this.pos + digits
    this.pos = end
    for (let x = v; x > 0; x = Math.floor(x / 10)) buf[--end] = 48 + (x % 10)
  }

  /** `v` in exactly `width` decimal digits (zero-padded). */
  private padded(v: number, width: number): void {
    const buf = this.buf
    let end = this.pos + width
    this.pos = end
    for (let i = 0; i < width; i++) {
      buf[--end] = 48 + (v % 10)
      v = Math.floor(v / 10)
    }
  }

  /**
   * A finite number other than a non-negative integer. Most API numbers have a few decimals
   * (prices, rates): for those the digits are written from the scaled integer, which costs a
   * fraction of `String(v)`. `whole.frac` with k decimals is written only when
   * `round(|v|·10^k) / 10^k === |v|`: the division is correctly rounded, so the text parses back
   * to `v` exactly, and the smallest such k gives the shortest digits, as `String(v)` would.
   * Everything else (more decimals, huge or tiny magnitudes) takes `String(v)`.
   */
  double(v: number): void {
    const a = v < 0 ? -v : v
    if (Number.isSafeInteger(a)) {
      // A negative integer (bigint columns take no decimal point).
      this.ensure(1)
      if (v < 0) this.buf[this.pos++] = 45 // -
      this.nonNegativeInteger(a)
      return
    }
    if (a >= 1e-6 && a < 1e9) {
      let scale = 10
      for (let k = 1; k <= 6; k++, scale *= 10) {
        const scaled = Math.round(a * scale)
        if (scaled / scale !== a) continue
        const frac = scaled % scale
        this.ensure(24)
        if (v < 0) this.buf[this.pos++] = 45 // -
        this.nonNegativeInteger((scaled - frac) / scale)
        this.buf[this.pos++] = 46 // .
        this.padded(frac, k)
        return
      }
    }
    this.ascii(String(v))
  }

  /**
   * A Date as `toISOString()` writes it (`2024-05-01T12:00:00.000Z`), straight into the buffer:
   * a sync has millions of timestamps. The calendar date comes from the epoch milliseconds by
   * integer arithmetic (civilDate.ts), one `getTime()` instead of seven `getUTC*` calls.
   * Years outside 0-9999 take `toISOString()`'s extended form.
   */
  date(value: Date): void {
    const t = value.getTime()
    if (Number.isNaN(t)) {
      this.ascii(NULL)
      return
    }
    const days = Math.floor(t / 86_400_000)
    let ms = t - days * 86_400_000
    civilInto(days, civil)
    const year = civil[0]
    if (year < 0 || year > 9999) {
      this.ascii(value.toISOString())
      return
    }
    this.ensure(24)
    const buf = this.buf
    this.padded(year, 4)
    buf[this.pos++] = 45 // -
    this.padded(civil[1], 2)
    buf[this.pos++] = 45
    this.padded(civil[2], 2)
    buf[this.pos++] = 84 // T
    const hours = Math.floor(ms / 3_600_000)
    ms -= hours * 3_600_000
    const minutes = Math.floor(ms / 60_000)
    ms -= minutes * 60_000
    const seconds = Math.floor(ms / 1000)
    this.padded(hours, 2)
    buf[this.pos++] = 58 // :
    this.padded(minutes, 2)
    buf[this.pos++] = 58
    this.padded(seconds, 2)
    buf[this.pos++] = 46 // .
    this.padded(ms - seconds * 1000, 3)
    buf[this.pos++] = 90 // Z
  }

  /** One value, as `encodeValue` gives it. */
  value(value: unknown, kind: ColumnKind): void {
    if (value === null || value === undefined) {
      this.ascii(NULL)
      return
    }
    if (kind === "json") {
      const text = jsonText(value)
      if (text === undefined) this.ascii(NULL)
      else this.text(text)
      return
    }
    switch (typeof value) {
      case "string":
        this.text(value)
        return
      case "number":
        if (Number.isSafeInteger(value) && value >= 0) this.nonNegativeInteger(value)
        else if (value - value === 0) this.double(value)
        else this.ascii(encodeValue(value, kind))
        return
      case "boolean":
        this.ascii(value ? "true" : "false")
        return
      case "object":
        if (value instanceof Date) {
          this.date(value)
          return
        }
        {
          const text = jsonText(value)
          if (text === undefined) this.ascii(NULL)
          else this.text(text)
        }
        return
      default:
        // bigints (decimal text), functions and symbols (NULL): never escaped
        this.ascii(encodeValue(value, kind))
    }
  }

  /** The bytes so far, as a chunk; the encoder starts a fresh buffer. */
  take(): Buffer {
    const chunk = this.buf.subarray(0, this.pos)
    this.buf = noBuffer
    this.pos = 0
    return chunk
  }
}
