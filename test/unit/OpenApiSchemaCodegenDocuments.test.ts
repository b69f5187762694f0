import { assert, describe, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { readdirSync } from "node:fs"
import * as path from "node:path"
import { generateSchemas } from "../../src/internal/openapi/schemaCodegen.js"
import { evaluate, isObj, modelOf, moduleSource, packageFile, readJson, responses, typecheck } from "../support/schemaCodegen.js"

// JSON Schema → Effect Schema source on real documents: GitHub's (OpenAPI 3.0, ~970 named schemas,
// from @octokit/openapi) and @readme/oas-examples (2.0, 3.0, 3.1). The documents' own examples decode.

const failures = (schema: Schema.Schema<unknown, unknown, never>, examples: ReadonlyArray<unknown>): Array<string> =>
  examples.flatMap((example) => {
    const result = Schema.decodeUnknownEither(schema)(example)
    return Either.isLeft(result) ? [result.left.message.slice(0, 2000)] : []
  })

describe("generateSchemas on GitHub's document", () => {
  const doc = readJson(packageFile("@octokit/openapi", "generated/api.github.com.json"))
  const model = modelOf(doc)
  const wanted = ["GET /repos/{owner}/{repo}/issues", "GET /repos/{owner}/{repo}/pulls", "GET /orgs/{org}/repos"]
  const all = responses(doc)
  const picked = wanted.map((operation) => {
    const response = all.find((r) => r.operation === operation)
    if (response === undefined) throw new Error(`${operation} not in the document`)
    return response
  })
  const module = generateSchemas(model, picked.map((r) => r.schema))

  it("declares only the named schemas the responses reach, and decodes the document's examples", () => {
    assert.deepStrictEqual(module.roots, ["Schema.Array(Issue)", "Schema.Array(PullRequestSimple)", "Schema.Array(MinimalRepository)"])
    const declared = module.declarations.match(/^const /gm)?.length ?? 0
    assert.isAbove(declared, 10)
    assert.isBelow(declared, 100)
    const decoders = evaluate(module)
    const [issues, pulls, repos] = picked
    assert.isAbove(issues.examples.length + pulls.examples.length + repos.examples.length, 2)
    assert.deepStrictEqual(failures(decoders[0], issues.examples), [])
    assert.deepStrictEqual(failures(decoders[2], repos.examples), [])
    // The pulls example predates `team.type` (required since): only that is wrong, and with it the example decodes.
    const problems = issuePaths(decoders[1], pulls.examples)
    assert.include(problems, "0.requested_teams.0.type is missing")
    assert.isTrue(problems.every((p) => p.startsWith("0.requested_teams")), problems.join("\n"))
    assert.deepStrictEqual(issuePaths(decoders[1], pulls.examples.map(withTeamType)), [])
    // Records keep what the schema does not declare, and timestamps are Dates.
    const issue = { ...firstOf(issues.examples), not_in_the_schema: { a: 1 } }
    const [decoded] = Schema.decodeUnknownSync(decoders[0])([issue])
    assert.isTrue(isObj(decoded) && isObj(decoded.not_in_the_schema))
    assert.isTrue(isObj(decoded) && decoded.created_at instanceof Date)
  })

  it("typechecks the module for those responses", () => {
    assert.deepStrictEqual(typecheck({ github: moduleSource(module) }), [])
  }, 120_000)

  it("generates every operation's 200 response at once; the code runs and most of the document's examples decode", () => {
    const everything = generateSchemas(model, all.map((r) => r.schema))
    assert.deepStrictEqual(everything.notes, [
      "schema integration.permissions: `additionalProperties` kept but typed Unknown next to declared properties",
      "schema nullable-integration.permissions: `additionalProperties` kept but typed Unknown next to declared properties"
    ])
    const decoders = evaluate(everything)
    const total = all.reduce((n, r) => n + r.examples.length, 0)
    const bad = all.reduce((n, r, i) => n + failures(decoders[i], r.examples).length, 0)
    // @octokit/openapi 23.0.2: 688 of 813 decode. The rest contradict their own schema: required fields
    // added since the example was written, `"id": "12,"`, `"percentile": "0.16001e0"`, unknown enum values.
    assert.isAbove(total, 800)
    assert.isAtMost(bad / total, 0.16)
  }, 180_000)
})

const issuePaths = (schema: Schema.Schema<unknown, unknown, never>, examples: ReadonlyArray<unknown>): Array<string> =>
  examples.flatMap((example) => {
    const result = Schema.decodeUnknownEither(schema)(example, { errors: "all" })
    return Either.isLeft(result)
      ? ParseResult.ArrayFormatter.formatErrorSync(result.left).map((i) => `${i.path.join(".")} ${i.message}`)
      : []
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
  const root = packageFile("@readme/oas-examples", "")
  const documents = ["2.0", "3.0", "3.1"].flatMap((version) => {
    const dir = path.join(root, version, "json")
    return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => `${version}/json/${f}`)
  })

  it("generates every named schema and 200 response; the code runs, typechecks, and decodes the examples", () => {
    assert.isAbove(documents.length, 50)
    const files: Record<string, string> = {}
    const bad: Array<string> = []
    for (const name of documents) {
      const doc = readJson(path.join(root, name))
      const model = modelOf(doc)
      const named = Object.keys(model.schemas).map((n) => ({ $ref: `${model.schemaRefPrefix}${encodeURIComponent(n)}` }))
      const rs = responses(doc)
      const module = generateSchemas(model, [...named, ...rs.map((r) => r.schema)])
      files[name.replace(/[^A-Za-z0-9]+/g, "_")] = moduleSource(module)
      const decoders = evaluate(module)
      rs.forEach((r, i) => {
        // These examples are JSON text (strings) on purpose: the document shows "primitive" examples.
        if (name === "3.0/json/request-examples.json" && r.operation.endsWith(" /requestBody-primitive-example")) return
        bad.push(...failures(decoders[named.length + i], r.examples).map((f) => `${name} ${r.operation}: ${f}`))
      })
    }
    assert.deepStrictEqual(bad, [])
    assert.deepStrictEqual(typecheck(files), [])
  }, 180_000)
})
