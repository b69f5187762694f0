/**
 * Timestamps read by hand in the Schema fast path give the same Date as `new Date(text)`, which
 * they replace: on many generated timestamps, each also mutated one character at a time (a
 * seeded generator, so a failure repeats).
 */
import { describe, expect, it } from "@effect/vitest"
import { dateOf } from "../../src/internal/extract/rfc3339Date.js"

const seeded = (seed: number) => () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
  return seed / 4_294_967_296
}
const pad = (n: number, width: number) => String(n).padStart(width, "0")

describe("dateOf", () => {
  it("gives new Date(text)'s Date for RFC 3339 timestamps, their near misses and other text", () => {
    const random = seeded(5)
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]
    const texts: Array<string> = [
      "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01T23:59:60Z",
      "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2024-01-01T00:00:00.000+14:00", "2024-01-01T00:00:00-23:59",
      "2024-01-01T00:00:00+24:00", "2024-01-01t00:00:00z", "2024-01-01T00:00:00", "2024-01-01", "2024-01-01 00:00:00Z",
      "2024-01-01T00:00:00.1Z", "2024-01-01T00:00:00.123456Z", "+002024-01-01T00:00:00Z", "", "not a date", "2024-13-01T00:00:00Z"
    ]
    for (let i = 0; i < 20_000; i++) {
      const year = Math.floor(random() * 10_000)
      const base = `${pad(year, 4)}-${pad(1 + Math.floor(random() * 12), 2)}-${pad(1 + Math.floor(random() * 31), 2)}T${
        pad(Math.floor(random() * 25), 2)
      }:${pad(Math.floor(random() * 60), 2)}:${pad(Math.floor(random() * 61), 2)}`
      const fraction = pick(["", `.${pad(Math.floor(random() * 1000), 3)}`])
      const zone = pick(["Z", "Z", `+${pad(Math.floor(random() * 24), 2)}:${pad(Math.floor(random() * 60), 2)}`, `-05:30`, ""])
      const text = base + fraction + zone
      texts.push(text)
      if (i % 4 === 0) {
        const at = Math.floor(random() * text.length)
        texts.push(text.slice(0, at) + pick(["0", "9", "-", ":", "T", "Z", ".", "a", " "]) + text.slice(at + 1))
      }
    }
    for (const text of texts) expect(dateOf(text).getTime(), text).toStrictEqual(new Date(text).getTime())
  })
})
