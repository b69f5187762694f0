import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { AppointmentLink } from "../../examples/analytics/schemas.js"
import { compile, Miss } from "../../src/internal/extract/fastDecode.js"
import { agree, effectDecoder, expectMiss, expectOk } from "../support/fastDecodeAgreement.js"
import { Dates, Lits, Misc, Nested, Numbers, Optionals, Overlapping, Person, Tagged } from "../support/fastDecodeSchemas.js"

describe("FastDecode", () => {
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
})
