import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { appointmentLinkAt, codeSnippetAt, insightsReportAt } from "../../src/cli/demo/demoApi.js"
import { AppointmentLink, CodeSnippet, InsightsReport } from "../../examples/analytics/schemas.js"
import { compile, Miss } from "../../src/internal/extract/fastDecode.js"

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

const effectDecoder = (s: Schema.Schema.AnyNoContext) => Schema.decodeUnknownEither(s, { onExcessProperty: "ignore" })

/**
 * A description of a value that keeps what `toStrictEqual` does not look at: key order (at every
 * level), `undefined`-valued keys, the class of objects, invalid vs valid dates.
 */
const shape = (u: unknown): unknown => {
  if (u instanceof Date) return `Date(${Number.isNaN(u.getTime()) ? "invalid" : u.toISOString()})`
  if (Array.isArray(u)) return ["array", u.length, ...u.map(shape)]
  if (typeof u === "object" && u !== null) {
    return [`object:${u.constructor?.name ?? "null-prototype"}`, ...Object.entries(u).map(([k, v]) => [k, shape(v)])]
  }
  if (typeof u === "number" && Number.isNaN(u)) return "NaN"
  if (typeof u === "bigint") return `${u}n`
  if (typeof u === "symbol") return String(u)
  if (u === undefined) return "undefined"
  return u
}

type Outcome = "ok" | "miss"

const show = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? String(u)
  } catch {
    return Object.prototype.toString.call(u)
  }
}

/** Asserts that the fast path agrees with Effect on `input`: same value (and shape), or Miss iff Effect fails. */
const agree = (s: Schema.Schema.AnyNoContext, input: unknown, fast = compile(s)): Outcome => {
  expect(fast).toBeDefined()
  const actual = fast!(input)
  const expected = effectDecoder(s)(input)
  if (Either.isLeft(expected)) {
    expect(actual, `Effect fails, the fast path must miss on ${show(input)}`).toBe(Miss)
    return "miss"
  }
  expect(actual, `Effect succeeds, the fast path must not miss on ${show(input)}`).not.toBe(Miss)
  expect(actual).toStrictEqual(expected.right)
  expect(shape(actual)).toStrictEqual(shape(expected.right))
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected.right))
  return "ok"
}

const expectOk = (s: Schema.Schema.AnyNoContext, input: unknown) => expect(agree(s, input)).toBe("ok")
const expectMiss = (s: Schema.Schema.AnyNoContext, input: unknown) => expect(agree(s, input)).toBe("miss")

const json = <A>(a: A): unknown => JSON.parse(JSON.stringify(a))

/** mulberry32 */
const rng = (seed: number) => {
  let a = seed >>> 0
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// ---------------------------------------------------------------------------
// schemas
// ---------------------------------------------------------------------------

const analytics = [
  { name: "AppointmentLink", schema: AppointmentLink, at: appointmentLinkAt },
  { name: "CodeSnippet", schema: CodeSnippet, at: codeSnippetAt },
  { name: "InsightsReport", schema: InsightsReport, at: insightsReportAt }
] as const

const Optionals = Schema.Struct({
  a: Schema.String,
  b: Schema.optional(Schema.Number),
  c: Schema.optionalWith(Schema.String, { exact: true }),
  d: Schema.optional(Schema.NullOr(Schema.Int)),
  e: Schema.mutable(Schema.Boolean)
})

const Nested = Schema.Struct({
  items: Schema.Array(
    Schema.Struct({
      id: Schema.Int,
      children: Schema.Array(
        Schema.Struct({ name: Schema.NonEmptyString, score: Schema.Number.pipe(Schema.between(0, 10)) })
      ),
      matrix: Schema.Array(Schema.Array(Schema.NullOr(Schema.Number)))
    })
  )
})

const Lits = Schema.Struct({
  status: Schema.Literal("draft", "published", "archived"),
  mixed: Schema.Literal("a", 1, true, null),
  one: Schema.Literal("only")
})

const Dates = Schema.Struct({
  at: Schema.DateFromString,
  valid: Schema.Date,
  maybe: Schema.NullOr(Schema.DateFromString),
  self: Schema.optional(Schema.DateFromSelf)
})

const Numbers = Schema.Struct({
  n: Schema.Number,
  i: Schema.Int,
  b: Schema.Number.pipe(Schema.between(1, 5)),
  s: Schema.NumberFromString,
  c: Schema.compose(Schema.NumberFromString, Schema.Int),
  t: Schema.Trim
})

const Tagged = Schema.Union(
  Schema.Struct({ type: Schema.Literal("circle"), radius: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("square"), side: Schema.Number }),
  Schema.Struct({ side: Schema.Number, color: Schema.optional(Schema.String) })
)

// In Effect, the member with a literal `kind` is tried before the member without it.
const Overlapping = Schema.Union(
  Schema.Struct({ a: Schema.String }),
  Schema.Struct({ kind: Schema.Literal("x"), a: Schema.String, extra: Schema.optional(Schema.Number) })
)

class Person extends Schema.Class<Person>("Person")({ name: Schema.String, age: Schema.optional(Schema.Int) }) {}

const Misc = Schema.Struct({
  anything: Schema.Unknown,
  empty: Schema.Struct({}),
  person: Person,
  people: Schema.Array(Person),
  either: Schema.Union(Schema.String, Schema.Number, Schema.Array(Schema.String))
})

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

describe("FastDecode", () => {
  describe("analytics schemas", () => {
    for (const { name, schema, at } of analytics) {
      it(`${name}: same output as Effect on the demo API's records`, () => {
        const fast = compile(schema)
        expect(fast).toBeDefined()
        for (let version = 0; version < 3; version++) {
          for (let i = 0; i < 400; i++) {
            expect(agree(schema, json(at(i, version)), fast)).toBe("ok")
          }
        }
      })

      it(`${name}: arrays of records (as the extractor decodes pages)`, () => {
        const page = Array.from({ length: 50 }, (_, i) => json(at(i)))
        expectOk(Schema.Array(schema), page)
        expectOk(Schema.Array(schema), [])
        const bad = [...page]
        bad[37] = { ...(page[37] as object), id: null }
        expectMiss(Schema.Array(schema), bad)
        expectMiss(Schema.Array(schema), { 0: page[0], length: 1 })
        expectMiss(Schema.Array(schema), null)
      })

      it(`${name}: invalid records miss`, () => {
        const record = json(at(7)) as Record<string, unknown>
        for (const key of Object.keys(record)) {
          const { [key]: _dropped, ...without } = record
          agree(schema, without)
          expectMiss(schema, { ...record, [key]: { nested: true } })
          agree(schema, { ...record, [key]: null })
        }
        expectMiss(schema, null)
        expectMiss(schema, undefined)
        expectMiss(schema, "record")
        expectMiss(schema, 42)
        expectMiss(schema, [record])
        expectMiss(schema, { ...record, createdAt: 1_700_000_000 })
        expectMiss(schema, { ...record, tags: "a,b" })
        expectMiss(schema, { ...record, tags: ["a", 1] })
        expectOk(schema, { ...record, excess: 1, another: { deep: [1] } })
      })
    }

    it("AppointmentLink: Int and nested struct checks", () => {
      const record = json(appointmentLinkAt(3)) as Record<string, unknown>
      expectMiss(AppointmentLink, { ...record, durationMinutes: 30.5 })
      expectMiss(AppointmentLink, { ...record, durationMinutes: "30" })
      expectMiss(AppointmentLink, { ...record, owner: { id: "u", name: "n" } })
      expectMiss(AppointmentLink, { ...record, attendees: [{ name: "n" }] })
      expectOk(AppointmentLink, { ...record, attendees: [{ email: null, name: "n", x: 1 }] })
      expectMiss(AppointmentLink, { ...record, isActive: "true" })
      expectMiss(AppointmentLink, { ...record, title: null })
    })

    it("InsightsReport: literal status and nullable nested owner", () => {
      const record = json(insightsReportAt(3)) as Record<string, unknown>
      const meta = record.meta as Record<string, unknown>
      expectOk(InsightsReport, { ...record, status: "archived" })
      expectMiss(InsightsReport, { ...record, status: "deleted" })
      expectMiss(InsightsReport, { ...record, status: null })
      expectOk(InsightsReport, { ...record, meta: { ...meta, owner: null } })
      expectMiss(InsightsReport, { ...record, meta: { ...meta, owner: { id: "u" } } })
      expectMiss(InsightsReport, { ...record, meta: { ...meta, schemaVersion: 2.5 } })
      expectOk(InsightsReport, { ...record, deletedAt: "2024-05-01T10:00:00Z" })
      expectOk(InsightsReport, { ...record, deletedAt: "not a date" }) // DateFromString accepts invalid dates
    })
  })

  describe("extra schemas", () => {
    it("optional keys: absent, present, undefined, key order", () => {
      expectOk(Optionals, { a: "x", e: true })
      expectOk(Optionals, { e: false, d: 3, c: "c", b: 1.5, a: "x" })
      expectOk(Optionals, { a: "x", e: true, b: undefined }) // present with undefined: kept
      expectOk(Optionals, { a: "x", e: true, d: undefined })
      expectOk(Optionals, { a: "x", e: true, d: null })
      expectOk(Optionals, { a: "x", e: true, zzz: 1 })
      expectMiss(Optionals, { a: "x", e: true, c: undefined }) // exact optional
      expectMiss(Optionals, { a: "x", e: true, b: null })
      expectMiss(Optionals, { a: "x", e: true, d: 1.5 })
      expectMiss(Optionals, { a: "x" })
      expectMiss(Optionals, { e: true })
      const out = compile(Optionals)!({ e: true, b: undefined, a: "x", c: "y" })
      expect(Object.keys(out as object)).toStrictEqual(["a", "b", "c", "e"])
      expect(Object.keys(effectDecoder(Optionals)({ e: true, b: undefined, a: "x", c: "y" }).pipe(Either.getOrThrow))).toStrictEqual(
        ["a", "b", "c", "e"]
      )
    })

    it("nested arrays of structs", () => {
      const valid = {
        items: [
          { id: 1, children: [], matrix: [] },
          { id: 2, children: [{ name: "a", score: 0 }, { name: "b", score: 10, x: 1 }], matrix: [[1, null], [], [2.5]] }
        ]
      }
      expectOk(Nested, valid)
      expectOk(Nested, { items: [] })
      expectMiss(Nested, { items: [{ id: 1.5, children: [], matrix: [] }] })
      expectMiss(Nested, { items: [{ id: 1, children: [{ name: "", score: 1 }], matrix: [] }] })
      expectMiss(Nested, { items: [{ id: 1, children: [{ name: "a", score: 10.5 }], matrix: [] }] })
      expectMiss(Nested, { items: [{ id: 1, children: [{ name: "a", score: -1 }], matrix: [] }] })
      expectMiss(Nested, { items: [{ id: 1, children: [], matrix: [[1, "2"]] }] })
      expectMiss(Nested, { items: [{ id: 1, children: [], matrix: [null] }] })
      expectMiss(Nested, { items: {} })
      expectMiss(Nested, { items: null })
      // arrays and structs are copies, as in Effect
      const out = compile(Nested)!(valid) as typeof Nested.Type
      expect(out).not.toBe(valid)
      expect(out.items).not.toBe(valid.items)
      expect(out.items[1].matrix[0]).not.toBe(valid.items[1].matrix[0])
      expect(out.items[1].children[0]).not.toBe(valid.items[1].children[0])
    })

    it("literals and unions of literals", () => {
      expectOk(Lits, { status: "draft", mixed: "a", one: "only" })
      expectOk(Lits, { status: "archived", mixed: null, one: "only" })
      expectOk(Lits, { status: "published", mixed: 1, one: "only" })
      expectOk(Lits, { status: "published", mixed: true, one: "only" })
      expectMiss(Lits, { status: "Draft", mixed: "a", one: "only" })
      expectMiss(Lits, { status: "draft", mixed: "1", one: "only" })
      expectMiss(Lits, { status: "draft", mixed: false, one: "only" })
      expectMiss(Lits, { status: "draft", mixed: undefined, one: "only" })
      expectMiss(Lits, { status: "draft", mixed: "a", one: "other" })
      expectMiss(Lits, { status: "draft", mixed: "a" })
      expectOk(Schema.Literal(0), -0)
      expectOk(Schema.Literal(0, 1), -0)
      expectMiss(Schema.Literal(Number.NaN, 1), Number.NaN)
      expectOk(Schema.Null, null)
      expectMiss(Schema.Null, undefined)
    })

    it("refinements", () => {
      for (const v of [0, 1, -7, 2 ** 53, 1.5, Number.NaN, Infinity, "1", null]) agree(Schema.Int, v)
      for (const v of ["", "a", " ", 1, null]) agree(Schema.NonEmptyString, v)
      for (const v of [0.999, 1, 3, 5, 5.001, Number.NaN]) agree(Schema.Number.pipe(Schema.between(1, 5)), v)
      expectMiss(Schema.Int, 1.5)
      expectMiss(Schema.NonEmptyString, "")
      expectOk(Schema.Int.pipe(Schema.positive()), 3)
      expectMiss(Schema.Int.pipe(Schema.positive()), 0)
      expectOk(Schema.String.pipe(Schema.pattern(/^a+$/)), "aaa")
      expectMiss(Schema.String.pipe(Schema.pattern(/^a+$/)), "aab")
      expectMiss(
        Schema.Struct({ a: Schema.Number, b: Schema.Number }).pipe(Schema.filter((r) => r.a < r.b)),
        { a: 2, b: 1 }
      )
      expectOk(Schema.Struct({ a: Schema.Number, b: Schema.Number }).pipe(Schema.filter((r) => r.a < r.b)), { b: 2, a: 1 })
    })

    it("numbers, number transformations", () => {
      const valid = { n: 1.5, i: 2, b: 1, s: "2.5", c: "7", t: "  x  " }
      expectOk(Numbers, valid)
      expectOk(Numbers, { ...valid, s: "NaN", n: -0 })
      expectMiss(Numbers, { ...valid, n: "1.5" }) // Schema.Number does not parse strings
      expectMiss(Numbers, { ...valid, i: "2" })
      expectMiss(Numbers, { ...valid, b: 6 })
      expectMiss(Numbers, { ...valid, s: "abc" })
      expectMiss(Numbers, { ...valid, s: 2.5 })
      expectMiss(Numbers, { ...valid, c: "7.5" })
      expectMiss(Numbers, { ...valid, t: 1 })
      for (const s of ["", " 1", "1e3", "0x10", "-", "Infinity", "-Infinity", "1_000"]) agree(Numbers, { ...valid, s, c: s })
    })

    it("dates", () => {
      const valid = { at: "2024-01-02T03:04:05Z", valid: "2024-01-02", maybe: null }
      expectOk(Dates, valid)
      expectOk(Dates, { ...valid, maybe: "2030-12-31T23:59:59.999Z", self: new Date(0) })
      expectOk(Dates, { ...valid, at: "garbage" }) // DateFromString: an invalid Date
      expectMiss(Dates, { ...valid, valid: "garbage" }) // Schema.Date: a valid Date only
      expectMiss(Dates, { ...valid, at: 0 })
      expectMiss(Dates, { ...valid, at: null })
      expectMiss(Dates, { ...valid, maybe: 1 })
      expectMiss(Dates, { ...valid, self: "2024-01-01" })
      const out = compile(Dates)!(valid) as typeof Dates.Type
      expect(out.at).toBeInstanceOf(Date)
      expect(out.at.toISOString()).toBe("2024-01-02T03:04:05.000Z")
      // a fresh Date each time
      expect(compile(Dates)!(valid)).not.toBe(out)
      expect((compile(Dates)!(valid) as typeof Dates.Type).at).not.toBe(out.at)
    })

    it("tagged unions: candidates in Effect's order", () => {
      expectOk(Tagged, { type: "circle", radius: 1 })
      expectOk(Tagged, { type: "square", side: 2 })
      expectOk(Tagged, { side: 2, color: "red" })
      expectOk(Tagged, { type: "square", side: 2, color: "red" })
      expectOk(Tagged, { type: "circle", side: 2 }) // falls through to the untagged member
      expectOk(Tagged, { type: "triangle", side: 2 })
      expectMiss(Tagged, { type: "circle", radius: "1" })
      expectMiss(Tagged, { type: "circle" })
      expectMiss(Tagged, null)
      expectMiss(Tagged, [])
      expectOk(Overlapping, { kind: "x", a: "s", extra: 1 })
      expect(compile(Overlapping)!({ kind: "x", a: "s" })).toStrictEqual({ kind: "x", a: "s" })
      expectOk(Overlapping, { kind: "y", a: "s" })
      expectOk(Overlapping, { a: "s" })
      expectOk(Overlapping, { kind: "x", a: "s", extra: "not a number" })
      // an inherited discriminator: Effect only looks at own properties
      expectOk(Overlapping, Object.assign(Object.create({ kind: "x" }), { a: "s" }))
    })

    it("unknown, empty struct, classes, plain unions", () => {
      const valid = {
        anything: { deep: [1, { x: null }] },
        empty: { a: 1 },
        person: { name: "Ann", age: 30 },
        people: [{ name: "Bob" }, { age: 1, name: "Cy" }],
        either: ["a"]
      }
      expectOk(Misc, valid)
      expectOk(Misc, { ...valid, either: "s", empty: "not nullish" })
      expectOk(Misc, { ...valid, either: 1, anything: undefined })
      const { anything: _anything, ...withoutUnknown } = valid
      expectOk(Misc, withoutUnknown) // a required Unknown key absent: present as undefined in the output
      expectMiss(Misc, { ...valid, empty: null })
      expectMiss(Misc, { ...valid, either: [1] })
      expectMiss(Misc, { ...valid, person: { name: 1 } })
      expectMiss(Misc, { ...valid, people: [{ name: "x", age: 1.5 }] })
      const out = compile(Misc)!(valid) as typeof Misc.Type
      expect(out.person).toBeInstanceOf(Person)
      expect(out.anything).toBe(valid.anything) // Unknown: the input itself, as in Effect
      expect(out.empty).toBe(valid.empty) // an empty struct returns its input, as in Effect
      expect(Either.getOrThrow(effectDecoder(Misc)(valid)).empty).toBe(valid.empty)
      // a required key whose type accepts undefined: absent in the input, present in the output
      const UndefinedOr = Schema.Struct({ a: Schema.String, u: Schema.UndefinedOr(Schema.String) })
      expectOk(UndefinedOr, { a: "x" })
      expect(Object.keys(compile(UndefinedOr)!({ a: "x" }) as object)).toStrictEqual(["a", "u"])
      expectOk(UndefinedOr, { u: "y", a: "x" })
      expectMiss(UndefinedOr, { u: null, a: "x" })
    })

    it("never crashes on odd inputs", () => {
      const throwing = Object.defineProperty({}, "a", { get: () => { throw new Error("boom") }, enumerable: true })
      expect(compile(Optionals)!(throwing)).toBe(Miss)
      const odd: Array<unknown> = [
        null, undefined, 0, "", Symbol("s"), 10n, () => 1, new Date(), new Map(), Object.create(null), [[]], { a: Symbol("x") }
      ]
      for (const u of odd) {
        for (const s of [Optionals, Nested, Lits, Dates, Numbers, Tagged, Misc, AppointmentLink]) agree(s, u)
      }
    })
  })

  describe("unsupported schemas fall back", () => {
    it("compile returns undefined", () => {
      const unsupported: Array<Schema.Schema.AnyNoContext> = [
        Schema.Record({ key: Schema.String, value: Schema.Number }),
        Schema.Struct({ a: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.String })),
        Schema.suspend(() => Schema.String),
        Schema.Struct({ a: Schema.optionalWith(Schema.String, { default: () => "x" }) }),
        Schema.Struct({ a: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("b")) }),
        Schema.TemplateLiteral("a", Schema.String),
        Schema.Tuple(Schema.String, Schema.Number),
        Schema.NonEmptyArray(Schema.String),
        Schema.Struct({ nested: Schema.Array(Schema.suspend(() => Schema.Number)) }),
        Schema.Struct({ [Symbol.for("k")]: Schema.String }),
        Schema.Struct({ a: Schema.String }).annotations({ parseOptions: { exact: true } }),
        Schema.String.annotations({ decodingFallback: () => Either.right("fallback") })
      ]
      for (const s of unsupported) expect(compile(s)).toBeUndefined()
    })

    it("supported schemas compile", () => {
      for (const s of [AppointmentLink, CodeSnippet, InsightsReport, Optionals, Nested, Lits, Dates, Numbers, Tagged, Misc]) {
        expect(compile(s)).toBeDefined()
        expect(compile(Schema.Array(s))).toBeDefined()
      }
    })
  })

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
