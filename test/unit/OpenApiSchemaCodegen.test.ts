import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import type { JsonSchema } from "../../src/internal/openapi/model.js"
import { generateSchemas, type GenerateOptions, type SchemaModule } from "../../src/internal/openapi/schemaCodegen.js"
import { pointer } from "../../src/internal/openapi/document.js"
import { evaluate, moduleSource, typecheck } from "../support/schemaCodegen.js"

// JSON Schema → Effect Schema source: each rule, by evaluating the generated code and decoding with it.
// Every module generated here is also typechecked under strict at the end.

const generated: Record<string, string> = {}

const generate = (
  label: string,
  schemas: Readonly<Record<string, JsonSchema>>,
  roots: ReadonlyArray<JsonSchema>,
  options?: GenerateOptions & { readonly prefix?: string; readonly extra?: Readonly<Record<string, unknown>> }
) => {
  const prefix = options?.prefix ?? "#/components/schemas/"
  const doc = prefix === "#/definitions/" ? { definitions: schemas, ...options?.extra } : { components: { schemas }, ...options?.extra }
  const module = generateSchemas({ schemas, schemaRefPrefix: prefix, resolve: (ref) => pointer(doc, ref) }, roots, options)
  generated[label] = moduleSource(module)
  return { module, decoders: evaluate(module) }
}

const decodes = (schema: Schema.Schema<unknown, unknown, never>, value: unknown): unknown => {
  const result = Schema.decodeUnknownEither(schema)(value)
  if (Either.isLeft(result)) assert.fail(`expected ${JSON.stringify(value)} to decode: ${result.left.message}`)
  return result.right
}

const rejects = (schema: Schema.Schema<unknown, unknown, never>, value: unknown): void => {
  assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(schema)(value)), `expected ${JSON.stringify(value)} to be rejected`)
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

describe("generateSchemas: objects", () => {
  it("required and optional properties, quoted names, unknown keys kept", () => {
    const { module, decoders: [item] } = generate("objects", {}, [{
      type: "object",
      required: ["id", "content-type"],
      properties: { id: { type: "integer" }, "content-type": { type: "string" }, note: { type: "string" } }
    }])
    assert.include(module.roots[0], `"content-type": Schema.String`)
    assert.include(module.roots[0], "note: Schema.optional(Schema.String)")
    assert.deepStrictEqual(decodes(item, { id: 1, "content-type": "a", extra: "x", nested: { a: [1] } }), {
      id: 1,
      "content-type": "a",
      extra: "x",
      nested: { a: [1] }
    })
    rejects(item, { id: 1 })
    rejects(item, { id: 1, "content-type": "a", note: 5 })
    assert.deepStrictEqual(module.notes, [])
  })

  it("keeps extra keys even without other properties, typed by `additionalProperties` when it is a schema", () => {
    const { decoders: [free, counts, both] } = generate("records", {}, [
      { type: "object" },
      { type: "object", additionalProperties: { type: "integer" } },
      { type: "object", properties: { id: { type: "integer" } }, additionalProperties: { type: "string" } }
    ])
    assert.deepStrictEqual(decodes(free, { a: 1, b: "x" }), { a: 1, b: "x" })
    assert.deepStrictEqual(decodes(counts, { a: 1, b: 2 }), { a: 1, b: 2 })
    rejects(counts, { a: "x" })
    assert.deepStrictEqual(decodes(both, { id: 1, b: "x" }), { id: 1, b: "x" })
  })

  it("writeOnly required properties are optional (responses are decoded)", () => {
    const { decoders: [user] } = generate("writeOnly", {}, [{
      type: "object",
      required: ["id", "password"],
      properties: { id: { type: "integer" }, password: { type: "string", writeOnly: true } }
    }])
    assert.deepStrictEqual(decodes(user, { id: 1 }), { id: 1 })
  })

  it("infers the type from keywords, else Unknown", () => {
    const { module, decoders: [obj, arr, any] } = generate("infer", {}, [
      { properties: { a: { type: "string" } }, required: ["a"] },
      { items: { type: "integer" } },
      {}
    ])
    assert.strictEqual(module.roots[1], "Schema.Array(Schema.Int)")
    assert.strictEqual(module.roots[2], "Schema.Unknown")
    rejects(obj, { a: 1 })
    rejects(arr, [1.5])
    assert.deepStrictEqual(decodes(any, { z: 1 }), { z: 1 })
  })
})

describe("generateSchemas: scalars, enums, nullability", () => {
  it("integer is Int (1.5 rejected), number is Number, date-time decodes to Date, date stays a string", () => {
    const { decoders: [int, num, dateTime, date, bool] } = generate("scalars", {}, [
      { type: "integer" },
      { type: "number" },
      { type: "string", format: "date-time" },
      { type: "string", format: "date" },
      { type: "boolean" }
    ])
    assert.strictEqual(decodes(int, 3), 3)
    rejects(int, 1.5)
    assert.strictEqual(decodes(num, 1.5), 1.5)
    const decoded = decodes(dateTime, "2024-05-01T10:00:00Z")
    assert.instanceOf(decoded, Date)
    assert.strictEqual(decoded instanceof Date ? decoded.toISOString() : "", "2024-05-01T10:00:00.000Z")
    assert.strictEqual(decodes(date, "2024-05-01"), "2024-05-01")
    rejects(bool, "true")
  })

  it("enums and const are Literals", () => {
    const { module, decoders: [state, level, fixed] } = generate("enums", {}, [
      { type: "string", enum: ["open", "closed"] },
      { type: "integer", enum: [1, 2, 3] },
      { const: "v1" }
    ])
    assert.strictEqual(module.roots[0], `Schema.Literal("open", "closed")`)
    assert.strictEqual(decodes(state, "open"), "open")
    rejects(state, "merged")
    rejects(level, 4)
    assert.strictEqual(decodes(fixed, "v1"), "v1")
    rejects(fixed, "v2")
  })

  it("nullable in each dialect: 3.0 nullable, 2.0 x-nullable, 3.1 type arrays, enum with null, oneOf with null", () => {
    const { module, decoders } = generate("nullable", {}, [
      { type: "string", nullable: true },
      { type: "string", "x-nullable": true },
      { type: ["string", "null"] },
      { type: "string", enum: ["a", "b", null] },
      { oneOf: [{ type: "integer" }, { type: "null" }] },
      { anyOf: [{ type: "string" }, { type: "integer" }, { type: "null" }] }
    ])
    assert.strictEqual(module.roots[0], "Schema.NullOr(Schema.String)")
    assert.strictEqual(module.roots[3], `Schema.NullOr(Schema.Literal("a", "b"))`)
    assert.strictEqual(module.roots[4], "Schema.NullOr(Schema.Int)")
    for (const d of decoders) {
      assert.isNull(decodes(d, null))
      rejects(d, true)
    }
    assert.strictEqual(decodes(decoders[5], 7), 7)
  })
})

describe("generateSchemas: composition", () => {
  const schemas = {
    Base: { type: "object", required: ["id"], properties: { id: { type: "integer" }, kind: { type: "string" } } },
    Named: { allOf: [ref("Base"), { type: "object", required: ["name"], properties: { name: { type: "string" } } }] },
    Cat: { type: "object", required: ["meow"], properties: { meow: { type: "boolean" } } },
    Dog: { type: "object", required: ["bark"], properties: { bark: { type: "integer" } } }
  }

  it("allOf merges properties and required lists, following refs", () => {
    const { decoders: [named] } = generate("allOf", schemas, [ref("Named")])
    assert.deepStrictEqual(decodes(named, { id: 1, name: "a", other: true }), { id: 1, name: "a", other: true })
    rejects(named, { id: 1 })
    rejects(named, { name: "a" })
  })

  it("a lone allOf ref with nullable is the named schema or null", () => {
    const { module, decoders: [owner] } = generate("allOfNullable", schemas, [{ allOf: [ref("Base")], nullable: true }])
    assert.strictEqual(module.roots[0], "Schema.NullOr(Base)")
    assert.isNull(decodes(owner, null))
    assert.deepStrictEqual(decodes(owner, { id: 2 }), { id: 2 })
  })

  it("oneOf and anyOf are Unions", () => {
    const { module, decoders: [pet, either] } = generate("oneOf", schemas, [
      { oneOf: [ref("Cat"), ref("Dog")], discriminator: { propertyName: "type" } },
      { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] }
    ])
    assert.strictEqual(module.roots[0], "Schema.Union(Cat, Dog)")
    assert.deepStrictEqual(decodes(pet, { meow: true }), { meow: true })
    assert.deepStrictEqual(decodes(pet, { bark: 3 }), { bark: 3 })
    rejects(pet, { bark: "loud" })
    assert.deepStrictEqual(decodes(either, ["a"]), ["a"])
    assert.strictEqual(decodes(either, "a"), "a")
  })

  it("oneOf of constraints only (required alternatives) leaves the object as it is", () => {
    const { decoders: [query] } = generate("oneOfConstraints", {}, [{
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      oneOf: [{ required: ["a"] }, { required: ["b"] }]
    }])
    assert.deepStrictEqual(decodes(query, { a: "x" }), { a: "x" })
  })
})

describe("generateSchemas: named and recursive schemas", () => {
  it("a self-recursive tree decodes three levels, with Schema.suspend and interfaces", () => {
    const { module, decoders: [tree] } = generate("tree", {
      "tree-node": {
        type: "object",
        required: ["label", "children"],
        properties: {
          label: { type: "string" },
          at: { type: "string", format: "date-time" },
          children: { type: "array", items: ref("tree-node") }
        }
      }
    }, [ref("tree-node")])
    assert.strictEqual(module.roots[0], "TreeNode")
    assert.include(module.declarations, "interface TreeNode {")
    assert.include(module.declarations, "interface TreeNodeEncoded {")
    assert.include(module.declarations, "Schema.suspend((): Schema.Schema<TreeNode, TreeNodeEncoded> => TreeNode)")
    const value = decodes(tree, {
      label: "a",
      children: [{ label: "b", children: [{ label: "c", at: "2024-01-01T00:00:00Z", children: [], x: 1 }] }]
    })
    assert.deepStrictEqual(value, {
      label: "a",
      children: [{ label: "b", children: [{ label: "c", at: new Date("2024-01-01T00:00:00Z"), children: [], x: 1 }] }]
    })
    rejects(tree, { label: "a", children: [{ label: "b", children: [{ label: 3, children: [] }] }] })
  })

  it("mutually recursive schemas, and plain ones they use declared first", () => {
    const { module, decoders: [folder] } = generate("mutual", {
      Folder: { type: "object", required: ["files"], properties: { files: { type: "array", items: ref("File") }, owner: ref("User") } },
      File: {
        type: "object",
        required: ["name"],
        properties: { name: { type: "string" }, parent: { allOf: [ref("Folder")], nullable: true } }
      },
      User: { type: "object", properties: { login: { type: "string" } } },
      Unused: { type: "object", properties: { x: { type: "string" } } }
    }, [ref("Folder")])
    assert.notInclude(module.declarations, "Unused")
    assert.isBelow(module.declarations.indexOf("const User ="), module.declarations.indexOf("const Folder ="))
    assert.include(module.declarations, "readonly owner?: typeof User.Type | undefined")
    const value = { files: [{ name: "a", parent: { files: [{ name: "b", parent: null }] } }], owner: { login: "me" } }
    assert.deepStrictEqual(decodes(folder, value), value)
    rejects(folder, { files: [{ name: "a", parent: { files: [{ name: 1 }] } }] })
  })

  it("2.0 definitions; identifiers are PascalCase, unique and clear of reserved names", () => {
    const schemas = {
      "simple-user": { type: "object", properties: { id: { type: "integer" } } },
      simple_user: { type: "object", properties: { id: { type: "string" } } },
      Schema: { type: "string" },
      Date: { type: "string" },
      "2fa": { type: "boolean" },
      Pet: { type: "object" }
    }
    const roots = Object.keys(schemas).map((name) => ({ $ref: `#/definitions/${name}` }))
    const { module } = generate("names", schemas, roots, { prefix: "#/definitions/", reserved: ["Pet"] })
    assert.deepStrictEqual(module.roots, ["SimpleUser", "SimpleUser2", "SchemaSchema", "DateSchema", "S2fa", "Pet2"])
    const again = generateSchemas(
      { schemas, schemaRefPrefix: "#/definitions/", resolve: (r) => pointer({ definitions: schemas }, r) },
      roots,
      { reserved: ["Pet"] }
    )
    assert.deepStrictEqual(again, module)
  })

  it("unnamed recursive refs, pathological depth, `not` and dangling refs become Unknown with a note", () => {
    let deep: JsonSchema = { type: "string" }
    for (let i = 0; i < 200; i++) deep = { type: "object", properties: { a: deep } }
    const loop = { type: "object", properties: { self: { $ref: "#/x-parts/loop" } } }
    const { module, decoders } = generate("unknowns", {}, [
      deep,
      { $ref: "#/x-parts/loop" },
      { type: "string", not: { enum: ["x"] } },
      { $ref: "#/nowhere" }
    ], { extra: { "x-parts": { loop } } })
    assert.strictEqual(decoders.length, 4)
    assert.deepStrictEqual(decodes(decoders[1], { self: { self: 1 } }), { self: { self: 1 } })
    assert.strictEqual(module.notes.length, 4)
    assert.match(module.notes[0], /^root 0\.a\.a.*nested more than \d+ levels deep/)
    assert.match(module.notes[1], /recursive `\$ref` #\/x-parts\/loop/)
    assert.match(module.notes[2], /^root 2: `not` ignored/)
    assert.match(module.notes[3], /`\$ref` #\/nowhere leads nowhere/)
  })

  it("a group of schemas that only alias each other is Unknown", () => {
    const { module } = generate("aliases", { A: { oneOf: [ref("B"), { type: "null" }] }, B: ref("A") }, [ref("A")])
    assert.include(module.declarations, "const A = Schema.Unknown")
    assert.strictEqual(module.notes.length, 2)
  })
})

describe("generateSchemas: the generated modules", () => {
  it("typecheck under strict (exactOptionalPropertyTypes, noUncheckedIndexedAccess, noUnusedLocals)", () => {
    assert.isAbove(Object.keys(generated).length, 10)
    assert.deepStrictEqual(typecheck(generated), [])
    // The check itself finds errors.
    const broken: SchemaModule = { declarations: "const A: Schema.Schema<string> = Schema.Int\n", roots: ["A"], notes: [] }
    assert.strictEqual(typecheck({ broken: moduleSource(broken) }).length, 1)
  }, 120_000)
})
