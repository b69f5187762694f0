import { assert, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Template from "../../src/internal/syntax/template.js"

const parse = (s: string) => Either.getOrThrowWith(Template.parse(s), (e) => new Error(e.message))
const parent = (record: unknown) => ({ parent: { name: "repos", record } })

describe("request templates", () => {
  it("renders parent fields (JSONPath too) and incremental values", () => {
    const t = parse("repos/{resources.repos.owner.login}/{resources.repos.name}/issues")
    expect(Either.getOrThrow(Template.render(t, parent({ name: "r1", owner: { login: "me" } })))).toBe("repos/me/r1/issues")
    const inc = parse("since={incremental.start_value}")
    const rendered = Template.render(inc, {
      incremental: { start_value: "2024-01-01", initial_value: null, last_value: null, end_value: null }
    })
    expect(Either.getOrThrow(rendered)).toBe("since=2024-01-01")
    const items = parse("{resources.repos.items[0].id}")
    expect(Either.getOrThrow(Template.render(items, parent({ items: [{ id: 7 }] })))).toBe("7")
  })

  it("{{ and }} are literal braces (GraphQL bodies)", () => {
    const t = parse("query {{ repo(id: {resources.repos.id}) {{ name }} }}")
    expect(Either.getOrThrow(Template.render(t, parent({ id: 3 })))).toBe("query { repo(id: 3) { name } }")
  })

  it("a lone placeholder in json keeps its type; others become strings", () => {
    const json = Either.getOrThrow(Template.parseJson({
      id: "{resources.repos.id}",
      label: "repo-{resources.repos.id}",
      nested: ["{resources.repos.flags}", 1, null],
      literal: "{{not a placeholder}}"
    }))
    expect(Either.getOrThrow(Template.renderJson(json, parent({ id: 42, flags: { a: true } })))).toEqual({
      id: 42,
      label: "repo-42",
      nested: [{ a: true }, 1, null],
      literal: "{not a placeholder}"
    })
  })

  it("a missing parent field lists the available keys", () => {
    const t = parse("repos/{resources.repos.nmae}")
    const result = Template.render(t, parent({ id: 1, name: "x" }))
    assert(Either.isLeft(result))
    expect(result.left.message).toBe("the parent 'repos' record has no field 'nmae' (available: id, name)")
  })

  it("syntax errors: unknown placeholders and stray braces", () => {
    for (const bad of ["a/{id}", "a/{incremental.start}", "a/{resources.x}", "a/{open", "a/}"]) {
      expect(Either.isLeft(Template.parse(bad)), bad).toBe(true)
    }
  })
})
