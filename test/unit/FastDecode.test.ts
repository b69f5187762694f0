import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { AppointmentLink, CodeSnippet, InsightsReport } from "../../examples/analytics/schemas.js"
import { appointmentLinkAt, insightsReportAt } from "../../src/cli/demo/demoApi.js"
import { compile } from "../../src/internal/extract/fastDecode.js"
import { agree, expectMiss, expectOk, json } from "../support/fastDecodeAgreement.js"
import { analytics, Dates, Lits, Misc, Nested, Numbers, Optionals, Tagged } from "../support/fastDecodeSchemas.js"

// The analytics example's schemas, and which schemas compile at all. The other schemas are tested in
// FastDecodeSchemas.test.ts, random mutations in FastDecodeRandom.test.ts.
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
})
