/**
 * Run by test/unit/CodegenFallback.test.ts under `node --disallow-code-generation-from-strings`:
 * the Schema fast path's struct decoders and the COPY row writers, whose unrolled forms are
 * generated code, fall back to their loops and give the same results. Prints one JSON line.
 */
import { Either, Schema } from "effect"
import { isDeepStrictEqual } from "node:util"
import { AppointmentLink, CodeSnippet, InsightsReport } from "../../examples/analytics/schemas.js"
import { appointmentLinkAt, codeSnippetAt, insightsReportAt } from "../../src/cli/demo/demoApi.js"
import { compile, Miss } from "../../src/internal/extract/fastDecode.js"
import { ChunkPool, RowsEncoder } from "../../src/internal/load/rowsEncoder.js"

/** "ok" when the fast path gives Effect's value, "miss" when both refuse, else what differs. */
const agree = (schema: Schema.Schema.AnyNoContext, input: unknown): string => {
  const fast = compile(schema)
  if (fast === undefined) return "not compiled"
  const ours = fast(input)
  const theirs = Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })(input)
  if (Either.isLeft(theirs)) return ours === Miss ? "miss" : "fast path accepted what Effect refuses"
  return isDeepStrictEqual(ours, theirs.right) ? "ok" : "different values"
}
const json = (u: unknown): unknown => JSON.parse(JSON.stringify(u))

const generationDisabled = (() => {
  try {
    new Function("return 1")
    return false
  } catch {
    return true
  }
})()

const schemas = [
  [AppointmentLink, appointmentLinkAt],
  [CodeSnippet, codeSnippetAt],
  [InsightsReport, insightsReportAt]
] as const
let decoded = 0
const disagreements: Array<string> = []
for (const [schema, at] of schemas) {
  for (let i = 0; i < 200; i++) {
    const outcome = agree(schema, json(at(i, i % 3)))
    if (outcome !== "ok") disagreements.push(`${i}: ${outcome}`)
    decoded++
  }
}
const optional = Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.Number) })
for (const input of [{ a: "x" }, { a: "x", b: 1 }, { a: "x", b: "no" }, { b: 1 }]) {
  const outcome = agree(optional, input)
  if (outcome !== (typeof input.a === "string" && (input.b === undefined || typeof input.b === "number") ? "ok" : "miss")) {
    disagreements.push(`optional ${JSON.stringify(input)}: ${outcome}`)
  }
}

const encoder = new RowsEncoder(["id", "name", "at"], ["other", "other", "other"], 1 << 16, new ChunkPool(1 << 16, 2))
encoder.append([{ id: 1, name: "a\tb", at: new Date(0) }, { id: 2, name: null }])
const copyText = Buffer.concat(encoder.take()).toString("utf8")

process.stdout.write(JSON.stringify({ generationDisabled, decoded, disagreements, copyText }) + "\n")
