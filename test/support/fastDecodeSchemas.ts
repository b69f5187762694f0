/** Schemas the FastDecode tests compile: the analytics example's, and some covering the rest. */
import { Schema } from "effect"
import { AppointmentLink, CodeSnippet, InsightsReport } from "../../examples/analytics/schemas.js"
import { appointmentLinkAt, codeSnippetAt, insightsReportAt } from "../../src/cli/demo/demoApi.js"

export const analytics = [
  { name: "AppointmentLink", schema: AppointmentLink, at: appointmentLinkAt },
  { name: "CodeSnippet", schema: CodeSnippet, at: codeSnippetAt },
  { name: "InsightsReport", schema: InsightsReport, at: insightsReportAt }
] as const

export const Optionals = Schema.Struct({
  a: Schema.String,
  b: Schema.optional(Schema.Number),
  c: Schema.optionalWith(Schema.String, { exact: true }),
  d: Schema.optional(Schema.NullOr(Schema.Int)),
  e: Schema.mutable(Schema.Boolean)
})

export const Nested = Schema.Struct({
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

export const Lits = Schema.Struct({
  status: Schema.Literal("draft", "published", "archived"),
  mixed: Schema.Literal("a", 1, true, null),
  one: Schema.Literal("only")
})

export const Dates = Schema.Struct({
  at: Schema.DateFromString,
  valid: Schema.Date,
  maybe: Schema.NullOr(Schema.DateFromString),
  self: Schema.optional(Schema.DateFromSelf)
})

export const Numbers = Schema.Struct({
  n: Schema.Number,
  i: Schema.Int,
  b: Schema.Number.pipe(Schema.between(1, 5)),
  s: Schema.NumberFromString,
  c: Schema.compose(Schema.NumberFromString, Schema.Int),
  t: Schema.Trim
})

export const Tagged = Schema.Union(
  Schema.Struct({ type: Schema.Literal("circle"), radius: Schema.Number }),
  Schema.Struct({ type: Schema.Literal("square"), side: Schema.Number }),
  Schema.Struct({ side: Schema.Number, color: Schema.optional(Schema.String) })
)

// In Effect, the member with a literal `kind` is tried before the member without it.
export const Overlapping = Schema.Union(
  Schema.Struct({ a: Schema.String }),
  Schema.Struct({ kind: Schema.Literal("x"), a: Schema.String, extra: Schema.optional(Schema.Number) })
)

export class Person extends Schema.Class<Person>("Person")({ name: Schema.String, age: Schema.optional(Schema.Int) }) {}

export const Misc = Schema.Struct({
  anything: Schema.Unknown,
  empty: Schema.Struct({}),
  person: Person,
  people: Schema.Array(Person),
  either: Schema.Union(Schema.String, Schema.Number, Schema.Array(Schema.String))
})
