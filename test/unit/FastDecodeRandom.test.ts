import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import { compile } from "../../src/internal/extract/fastDecode.js"
import { agree, rng } from "../support/fastDecodeAgreement.js"
import { analytics, Lits, Nested, Optionals, Tagged } from "../support/fastDecodeSchemas.js"

describe("FastDecode", () => {
  describe("randomized agreement with Effect", () => {
    const values: ReadonlyArray<unknown> = [
      null, undefined, 0, -1, 1.5, 42, 1e21, Number.NaN, "", "x", "2024-01-01T00:00:00Z", "not a date", "draft",
      "published", "7", true, false, [], ["a"], [1, 2], {}, { a: 1 }, { name: "n", email: null }, { path: "p", lines: 3 }
    ]
    type Container = Record<string, unknown> | Array<unknown>
    const containers = (u: unknown, out: Array<Container> = []): Array<Container> => {
      if (Array.isArray(u)) {
        out.push(u)
        for (const v of u) containers(v, out)
      } else if (typeof u === "object" && u !== null) {
        const r = u as Record<string, unknown>
        out.push(r)
        for (const v of Object.values(r)) containers(v, out)
      }
      return out
    }

    const mutate = (record: unknown, random: () => number): unknown => {
      const pick = <A>(as: ReadonlyArray<A>): A => as[Math.floor(random() * as.length)]
      const value = (): unknown => structuredClone(pick(values))
      const root = JSON.parse(JSON.stringify(record)) as unknown
      const n = 1 + Math.floor(random() * 3)
      for (let k = 0; k < n; k++) {
        const target = pick(containers(root))
        const op = random()
        if (Array.isArray(target)) {
          if (target.length > 0 && op < 0.4) target[Math.floor(random() * target.length)] = value()
          else if (op < 0.6) target.push(value())
          else if (op < 0.8) target.pop()
          else target.push(JSON.parse(JSON.stringify(target[0] ?? null)))
        } else {
          const keys = Object.keys(target)
          const key = keys.length > 0 ? pick(keys) : "k"
          if (op < 0.2) delete target[key]
          else if (op < 0.4) target[key] = null
          else if (op < 0.7) target[key] = value()
          else if (op < 0.9) target[`excess${Math.floor(random() * 3)}`] = value()
          else {
            // reorder keys
            const entries = Object.entries(target).reverse()
            for (const k2 of keys) delete target[k2]
            for (const [k2, v] of entries) target[k2] = v
          }
        }
      }
      return random() < 0.02 ? value() : root
    }

    const cases: Array<{ name: string; schema: Schema.Schema.AnyNoContext; sample: (i: number) => unknown }> = [
      ...analytics.map(({ name, schema, at }) => ({ name, schema, sample: (i: number) => at(i) })),
      {
        name: "Nested",
        schema: Nested,
        sample: (i) => ({
          items: [{ id: i, children: [{ name: "c", score: i % 11 }], matrix: [[i, null]] }, { id: 1, children: [], matrix: [] }]
        })
      },
      { name: "Optionals", schema: Optionals, sample: (i) => (i % 2 === 0 ? { a: "x", e: true, d: i } : { a: "x", b: 1, c: "c", e: false }) },
      { name: "Tagged", schema: Schema.Array(Tagged), sample: () => [{ type: "circle", radius: 1 }, { type: "square", side: 2 }, { side: 1 }] },
      { name: "Lits", schema: Lits, sample: (i) => ({ status: ["draft", "published", "archived"][i % 3], mixed: ["a", 1, true, null][i % 4], one: "only" }) }
    ]

    for (const { name, schema, sample } of cases) {
      it(`${name}: mutated records`, () => {
        const random = rng(0xc0ffee + name.length)
        const fast = compile(schema)
        const counts = { ok: 0, miss: 0 }
        for (let i = 0; i < 1500; i++) counts[agree(schema, mutate(sample(i), random), fast)]++
        // the mutations exercise both outcomes
        expect(counts.ok).toBeGreaterThan(50)
        expect(counts.miss).toBeGreaterThan(50)
      })
    }
  })
})
