import { assert, describe, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import * as path from "node:path"
import type { ApiModel, JsonSchema, Operation } from "../../src/internal/openapi/model.js"
import { generateSchemas } from "../../src/internal/openapi/schemaCodegen.js"
import { githubDocument, loadDocument, oasExamples, operation } from "../support/openapiFixtures.js"
import { evaluate, isObj, moduleSource, typecheck } from "../support/schemaCodegen.js"

// JSON Schema → Effect Schema source on real documents read by the real loader: GitHub's (OpenAPI 3.0,
// ~970 named schemas, @octokit/openapi) and @readme/oas-examples (2.0, 3.0, 3.1). Their own examples decode.

type Decoder = Schema.Schema<unknown, unknown, never>

const failures = (schema: Decoder, examples: ReadonlyArray<unknown>): Array<string> =>
  examples.flatMap((example) => {
    const result = Schema.decodeUnknownEither(schema)(example)
    return Either.isLeft(result) ? [result.left.message.slice(0, 2000)] : []
  })

const issuePaths = (schema: Decoder, examples: ReadonlyArray<unknown>): Array<string> =>
  examples.flatMap((example) => {
    const result = Schema.decodeUnknownEither(schema)(example, { errors: "all" })
    return Either.isLeft(result)
      ? ParseResult.ArrayFormatter.formatErrorSync(result.left).map((i) => `${i.path.join(".")} ${i.message}`)
      : []
  })

/** The operations whose success response has a JSON schema, with that schema. */
const withSchema = (m: ApiModel): ReadonlyArray<{ readonly op: Operation; readonly schema: JsonSchema; readonly examples: ReadonlyArray<unknown> }> =>
  m.operations.flatMap((op) =>
    op.response?.schema === undefined ? [] : [{ op, schema: op.response.schema, examples: op.response.examples }]
  )

describe("generateSchemas on GitHub's document", () => {
  const github = loadDocument(githubDocument)
  const picked = ["/repos/{owner}/{repo}/issues", "/repos/{owner}/{repo}/pulls", "/orgs/{org}/repos"].map((p) => {
    const response = operation(github, p).response
    if (response?.schema === undefined) throw new Error(`GET ${p} has no response schema`)
    return { schema: response.schema, examples: response.examples }
  })
  const module = generateSchemas(github, picked.map((r) => r.schema))

  it("declares only the named schemas the responses reach, and decodes the document's examples", () => {
    assert.deepStrictEqual(module.roots, ["Schema.Array(Issue)", "Schema.Array(PullRequestSimple)", "Schema.Array(MinimalRepository)"])
    const declared = module.declarations.match(/^const /gm)?.length ?? 0
    assert.isAbove(declared, 10)
    assert.isBelow(declared, 100)
    const decoders = evaluate(module)
    const [issues, pulls, repos] = picked
    assert.isAbove(issues.examples.length * pulls.examples.length * repos.examples.length, 0)
    assert.deepStrictEqual(failures(decoders[0], issues.examples), [])
    assert.deepStrictEqual(failures(decoders[2], repos.examples), [])
    // The pulls example predates `team.type` (required since): only that is wrong, and with it the example decodes.
    const problems = issuePaths(decoders[1], pulls.examples)
    assert.include(problems, "0.requested_teams.0.type is missing")
    assert.isTrue(problems.every((p) => p.startsWith("0.requested_teams")), problems.join("\n"))
    assert.deepStrictEqual(issuePaths(decoders[1], pulls.examples.map(withTeamType)), [])
    // Records keep what the schema does not declare, and timestamps are Dates.
    const issue = { ...firstOf(issues.examples), not_in_the_schema: { a: 1 } }
    const list: unknown = Schema.decodeUnknownSync(decoders[0])([issue])
    const decoded: unknown = Array.isArray(list) ? list[0] : undefined
    assert.isTrue(isObj(decoded) && isObj(decoded.not_in_the_schema))
    assert.isTrue(isObj(decoded) && decoded.created_at instanceof Date)
  })

  it("typechecks the module for those responses", () => {
    assert.deepStrictEqual(typecheck({ github: moduleSource(module) }), [])
  }, 120_000)

  it("generates every GET's success response at once; the code runs and most of the document's examples decode", () => {
    const all = withSchema(github).filter((r) => r.op.method === "get")
    const everything = generateSchemas(github, all.map((r) => r.schema))
    // All GitHub needs that an Effect Schema can't say exactly: a typed index signature next to declared properties.
    assert.include(everything.notes, "schema integration.permissions: `additionalProperties` kept but typed Unknown next to declared properties")
    assert.isTrue(everything.notes.every((n) => n.endsWith("`additionalProperties` kept but typed Unknown next to declared properties")))
    const decoders = evaluate(everything)
    const total = all.reduce((n, r) => n + r.examples.length, 0)
    const bad = all.reduce((n, r, i) => n + failures(decoders[i], r.examples).length, 0)
    // @octokit/openapi 23.0.2: 532 of 631 decode. The rest contradict their own schema: required fields
    // added since the example was written, `"id": "12,"`, `"percentile": "0.16001e0"`, unknown enum values.
    assert.isAbove(total, 600)
    assert.isAtMost(bad / total, 0.17, `${bad} of ${total}`)
  }, 180_000)
})

const withTeamType = (example: unknown): unknown =>
  Array.isArray(example)
    ? example.map((pull) =>
      isObj(pull) && Array.isArray(pull.requested_teams)
        ? { ...pull, requested_teams: pull.requested_teams.map((t) => isObj(t) ? { type: "organization", ...t } : t) }
        : pull
    )
    : example

const firstOf = (examples: ReadonlyArray<unknown>): object => {
  const first: unknown = Array.isArray(examples[0]) ? examples[0][0] : undefined
  if (typeof first !== "object" || first === null) throw new Error("no example record")
  return first
}

describe("generateSchemas on @readme/oas-examples", () => {
  it("generates every named schema and success response; the code runs, typechecks, and decodes the examples", () => {
    const documents = oasExamples()
    assert.isAbove(documents.length, 50)
    const files: Record<string, string> = {}
    const bad: Array<string> = []
    const notes: Array<string> = []
    for (const file of documents) {
      const name = path.relative(path.dirname(path.dirname(path.dirname(file))), file)
      const m = loadDocument(file)
      const named = Object.keys(m.schemas).map((n) => ({ $ref: `${m.schemaRefPrefix}${encodeURIComponent(n)}` }))
      const responses = withSchema(m)
      const module = generateSchemas(m, [...named, ...responses.map((r) => r.schema)])
      notes.push(...module.notes.map((n) => `${name}: ${n}`))
      files[name.replace(/[^A-Za-z0-9]+/g, "_")] = moduleSource(module)
      const decoders = evaluate(module)
      responses.forEach(({ op, examples }, i) => {
        // These examples are JSON text (strings) on purpose: the document shows "primitive" examples.
        if (name.endsWith("request-examples.json") && op.path === "/requestBody-primitive-example") return
        bad.push(...failures(decoders[named.length + i], examples).map((f) => `${name} ${op.method} ${op.path}: ${f}`))
      })
    }
    assert.deepStrictEqual(bad, [])
    assert.deepStrictEqual(typecheck(files), [])
    assert.include(notes, "3.1/json/train-travel.json: schema BookingPayment.source: `unevaluatedProperties` ignored")
  }, 180_000)
})
