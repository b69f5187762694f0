/**
 * COPY text of numbers and timestamps written straight into the buffer: the same text as
 * `String(v)` and `Date.prototype.toISOString()`, which the fast paths replace, on many values
 * (a seeded generator, so a failure repeats).
 */
import { describe, expect, it } from "@effect/vitest"
import { ChunkEncoder } from "../../src/internal/load/chunkEncoder.js"
import { escapeText } from "../../src/internal/load/copyText.js"

const encoder = new ChunkEncoder(1 << 16, () => Buffer.alloc(2 << 16))
const written = (write: (e: ChunkEncoder) => void): string => {
  write(encoder)
  return encoder.take().toString("latin1")
}

/** A small deterministic generator in [0, 1). */
const seeded = (seed: number) => () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
  return seed / 4_294_967_296
}

describe("ChunkEncoder", () => {
  it("writes a timestamp as toISOString does, across years 0-9999 and outside them", () => {
    const random = seeded(7)
    const edges = [
      0, -1, 86_399_999, -86_400_000, Date.UTC(2000, 1, 29, 12), Date.UTC(1900, 1, 28), Date.UTC(2100, 2, 1),
      Date.UTC(0, 0, 1) - 31_622_400_000 * 1900, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1,
      -62_167_219_200_001, -62_167_219_200_000, 8.64e15, -8.64e15
    ]
    const times = [...edges, ...Array.from({ length: 20_000 }, (_, i) => Math.floor((random() - 0.5) * (i % 2 === 0 ? 1.7e15 : 6.4e14)))]
    for (const t of times) {
      const date = new Date(t)
      expect(written((e) => e.date(date)), String(t)).toBe(date.toISOString())
    }
    expect(written((e) => e.date(new Date(Number.NaN)))).toBe("\\N")
  })

  it("writes a number as String does: decimals, negatives, integers, tiny and huge magnitudes", () => {
    const random = seeded(11)
    const edges = [0.1, 0.2, 0.1 + 0.2, 1.5, -1.5, 12.34, 99.99, 1e-6, 1e-7, 999_999_999.999_999, 1e9, 1e21, -0.5, 5e-324,
      Number.MAX_VALUE, -5, -Number.MAX_SAFE_INTEGER, 1 / 3, 4.35, 1.005, 8.675309, 2 ** 53 + 2]
    const values = [...edges, ...Array.from({ length: 50_000 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return Math.round((random() - 0.5) * 1e8) / 100
        case 1:
          return Math.round(random() * 1e9) / 1e6
        case 2:
          return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20)
        default:
          return (random() - 0.5) * 1e6
      }
    })]
    for (const v of values) expect(written((e) => e.double(v)), String(v)).toBe(String(v))
  })

  it("writes any string as UTF-8 with COPY's four escapes, short or long, ASCII or not", () => {
    const random = seeded(13)
    const alphabet = ["a", "Z", "7", " ", "\\", "\n", "\r", "\t", "\u0001", "é", "—", "日", "😀", "\ud800", "\"", "'"]
    const strings = ["", "\\", "\n\n", "plain", "é", "😀\\"]
    for (let i = 0; i < 20_000; i++) {
      const length = Math.floor(random() * (i % 3 === 0 ? 120 : 60))
      let text = ""
      // Mostly ASCII letters, as API text is; sometimes anything from the alphabet.
      for (let k = 0; k < length; k++) text += random() < 0.8 ? "abcdefgh"[k % 8] : alphabet[Math.floor(random() * alphabet.length)]
      strings.push(text)
    }
    for (const text of strings) {
      const bytes = (() => {
        encoder.text(text)
        return encoder.take()
      })()
      expect(bytes.equals(Buffer.from(escapeText(text), "utf8")), JSON.stringify(text)).toBe(true)
    }
  })
})
