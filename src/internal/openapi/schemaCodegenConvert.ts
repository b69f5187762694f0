/**
 * JSON Schema (as an OpenAPI document has it) → a small tree of Effect Schema constructs (`Node`),
 * which schemaCodegenPrint.ts prints as code and as the TypeScript types recursive schemas need.
 * Named schemas stay references (`Ref`); other local `$ref`s are inlined; `allOf` is merged.
 *
 * @internal
 */
import type { ApiModel, JsonSchema } from "./model.js"

export interface Field {
  readonly name: string
  readonly optional: boolean
  readonly node: Node
}

export type Node =
  | { readonly _tag: "Unknown" | "Never" | "String" | "Number" | "Int" | "Boolean" | "Null" | "DateFromString" }
  | { readonly _tag: "Literal"; readonly values: ReadonlyArray<string | number | boolean> }
  | { readonly _tag: "Array"; readonly item: Node }
  /** An object with declared properties; `rest` is its index signature (unknown keys survive decoding). */
  | { readonly _tag: "Struct"; readonly fields: ReadonlyArray<Field>; readonly rest: Node }
  | { readonly _tag: "Record"; readonly value: Node }
  | { readonly _tag: "Union"; readonly members: ReadonlyArray<Node> }
  | { readonly _tag: "NullOr"; readonly node: Node }
  /** A named schema (`model.schemas[name]`). */
  | { readonly _tag: "Ref"; readonly name: string }

export type SchemaModel = Pick<ApiModel, "schemas" | "schemaRefPrefix" | "resolve">

type Obj = { readonly [key: string]: unknown }

export const isObj = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

const UNKNOWN: Node = { _tag: "Unknown" }
const NEVER: Node = { _tag: "Never" }
const NULL: Node = { _tag: "Null" }

/** Inline schemas nested deeper than this become Unknown (documents are data, not trusted). */
export const MAX_DEPTH = 40

const nullOr = (node: Node): Node =>
  node._tag === "NullOr" || node._tag === "Null" || node._tag === "Unknown" ? node : { _tag: "NullOr", node }

const nodeKey = (node: Node): string => JSON.stringify(node)

/** A union with nested unions flattened, duplicates dropped, `null` members turned into NullOr. */
export const union = (members: ReadonlyArray<Node>): Node => {
  const out = new Map<string, Node>()
  let nullable = false
  const add = (m: Node): void => {
    if (m._tag === "Union") m.members.forEach(add)
    else if (m._tag === "NullOr") {
      nullable = true
      add(m.node)
    } else if (m._tag === "Null") nullable = true
    else if (m._tag !== "Never") out.set(nodeKey(m), m)
  }
  members.forEach(add)
  const list = [...out.values()]
  if (list.some((m) => m._tag === "Unknown")) return UNKNOWN
  const literals = list.filter((m) => m._tag === "Literal")
  const merged: Array<Node> = literals.length > 1
    ? [
      { _tag: "Literal", values: [...new Set(literals.flatMap((m) => m._tag === "Literal" ? m.values : []))] },
      ...list.filter((m) => m._tag !== "Literal")
    ]
    : list
  const core: Node = merged.length === 0 ? (nullable ? NULL : NEVER) : merged.length === 1 ? merged[0] : { _tag: "Union", members: merged }
  return nullable ? nullOr(core) : core
}

const strings = (u: unknown): ReadonlyArray<string> =>
  Array.isArray(u) ? u.filter((x): x is string => typeof x === "string") : typeof u === "string" ? [u] : []

const decodePointerToken = (token: string): string => {
  let s = token
  try {
    s = decodeURIComponent(token)
  } catch {
    // not percent-encoded
  }
  return s.replace(/~1/g, "/").replace(/~0/g, "~")
}

/** The named schema a `$ref` points at, if it is exactly `schemaRefPrefix + name`. */
export const namedRef = (model: SchemaModel, ref: string): string | undefined => {
  if (!ref.startsWith(model.schemaRefPrefix)) return undefined
  const rest = ref.slice(model.schemaRefPrefix.length)
  if (rest.length === 0 || rest.includes("/")) return undefined
  const name = decodePointerToken(rest)
  return Object.prototype.hasOwnProperty.call(model.schemas, name) ? name : undefined
}

const refOf = (model: SchemaModel, ref: string): unknown => {
  const name = namedRef(model, ref)
  return name !== undefined ? model.schemas[name] : model.resolve(ref)
}

/** Keywords that make a schema more than "also one of these": with them, a lone `allOf` member is merged, not referenced. */
const STRUCTURAL = ["properties", "additionalProperties", "items", "required", "oneOf", "anyOf", "enum", "const", "patternProperties"]

/** Members that only add constraints (`{ required: [...] }`), as `oneOf` is used for validation. */
const constraintOnly = (s: unknown): boolean =>
  isObj(s) &&
  !["type", "properties", "$ref", "items", "enum", "const", "allOf", "oneOf", "anyOf", "additionalProperties"].some((k) => k in s)

const isNullable = (s: Obj): boolean => s.nullable === true || s["x-nullable"] === true

export class Converter {
  readonly notes: Array<string> = []
  private readonly noteSet = new Set<string>()

  constructor(readonly model: SchemaModel) {}

  note(text: string): void {
    if (!this.noteSet.has(text)) {
      this.noteSet.add(text)
      this.notes.push(text)
    }
  }

  /** `inline`: the unnamed `$ref`s being inlined around this schema (a repeat would never end). */
  convert(schema: JsonSchema | unknown, where: string, depth = 0, inline: ReadonlyArray<string> = []): Node {
    if (schema === true) return UNKNOWN
    if (schema === false) return NEVER
    if (!isObj(schema)) return UNKNOWN
    if (depth > MAX_DEPTH) {
      this.note(`${where}: nested more than ${MAX_DEPTH} levels deep; typed Unknown from there`)
      return UNKNOWN
    }
    const node = this.convertCore(schema, where, depth, inline)
    return isNullable(schema) ? nullOr(node) : node
  }

  private convertCore(s: Obj, where: string, depth: number, inline: ReadonlyArray<string>): Node {
    if (typeof s.$ref === "string") return this.ref(s.$ref, where, depth, inline)
    for (const k of ["not", "if", "patternProperties", "prefixItems", "unevaluatedProperties", "dependentSchemas"]) {
      if (k in s) this.note(`${where}: \`${k}\` ignored`)
    }
    if ("const" in s) return this.literals([s.const], s, where, depth, inline)
    if (Array.isArray(s.enum)) return this.literals(s.enum, s, where, depth, inline)
    if (Array.isArray(s.allOf)) {
      if (s.allOf.length === 1 && !STRUCTURAL.some((k) => k in s) && s.type === undefined) {
        return this.convert(s.allOf[0], where, depth + 1, inline)
      }
      return this.convert(this.mergeAllOf(s, where), where, depth + 1, inline)
    }
    const alternatives = Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : undefined
    if (alternatives !== undefined) {
      const rest = Object.fromEntries(Object.entries(s).filter(([k]) => k !== "oneOf" && k !== "anyOf"))
      if (alternatives.every(constraintOnly)) return this.convert(rest, where, depth + 1, inline)
      const hasOwn = ["properties", "additionalProperties", "required"].some((k) => k in rest)
      return union(alternatives.map((alt) =>
        this.convert(hasOwn ? { allOf: [rest, alt] } : alt, where, depth + 1, inline)
      ))
    }
    const types = strings(s.type)
    if (types.length === 0) return this.typed(s, inferType(s), where, depth, inline)
    return union(types.map((t) => this.typed(s, t, where, depth, inline)))
  }

  private ref(ref: string, where: string, depth: number, inline: ReadonlyArray<string>): Node {
    const name = namedRef(this.model, ref)
    if (name !== undefined) return { _tag: "Ref", name }
    if (inline.includes(ref)) {
      this.note(`${where}: recursive \`$ref\` ${ref} is not a named schema; typed Unknown where it repeats`)
      return UNKNOWN
    }
    const target = this.model.resolve(ref)
    if (target === undefined) {
      this.note(`${where}: \`$ref\` ${ref} leads nowhere; typed Unknown`)
      return UNKNOWN
    }
    return this.convert(target, where, depth + 1, [...inline, ref])
  }

  private literals(values: ReadonlyArray<unknown>, s: Obj, where: string, depth: number, inline: ReadonlyArray<string>): Node {
    const scalars = values.filter((v): v is string | number | boolean =>
      typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    )
    if (scalars.length + values.filter((v) => v === null).length < values.length) {
      // Objects or arrays as enum values: keep the type, drop the enum.
      this.note(`${where}: \`enum\`/\`const\` with object or array values ignored`)
      const { enum: _e, const: _c, ...rest } = s
      return this.convert(rest, where, depth + 1, inline)
    }
    const core: Node = scalars.length === 0 ? NEVER : { _tag: "Literal", values: [...new Set(scalars)] }
    return values.includes(null) ? nullOr(core) : core
  }

  private typed(s: Obj, type: string | undefined, where: string, depth: number, inline: ReadonlyArray<string>): Node {
    switch (type) {
      case "string":
        return s.format === "date-time" ? { _tag: "DateFromString" } : { _tag: "String" }
      case "integer":
        return { _tag: "Int" }
      case "number":
        return { _tag: "Number" }
      case "boolean":
        return { _tag: "Boolean" }
      case "null":
        return NULL
      case "array": {
        if (Array.isArray(s.items)) {
          this.note(`${where}: tuple \`items\` read as an array of any of them`)
          return { _tag: "Array", item: union(s.items.map((i) => this.convert(i, `${where}[]`, depth + 1, inline))) }
        }
        return { _tag: "Array", item: this.convert(s.items ?? true, `${where}[]`, depth + 1, inline) }
      }
      case "object":
        return this.object(s, where, depth, inline)
      case undefined:
        return UNKNOWN
      default:
        if (type !== "file") this.note(`${where}: type \`${type}\` typed Unknown`)
        return UNKNOWN
    }
  }

  private object(s: Obj, where: string, depth: number, inline: ReadonlyArray<string>): Node {
    const required = new Set(strings(s.required))
    const props = isObj(s.properties) ? s.properties : {}
    const fields: Array<Field> = Object.entries(props).map(([name, p]) => ({
      name,
      // A required writeOnly property is only required in requests (OpenAPI 3.0 §4.7.25); we decode responses.
      optional: !required.has(name) || (isObj(p) && p.writeOnly === true),
      node: this.convert(p, `${where}.${name}`, depth + 1, inline)
    }))
    const additional = isObj(s.additionalProperties)
      ? this.convert(s.additionalProperties, `${where}{}`, depth + 1, inline)
      : UNKNOWN
    if (fields.length === 0) return { _tag: "Record", value: additional }
    if (additional._tag !== "Unknown") {
      this.note(`${where}: \`additionalProperties\` kept but typed Unknown next to declared properties`)
    }
    return { _tag: "Struct", fields, rest: UNKNOWN }
  }

  /** `allOf` (and the schema's own keywords) as one schema: properties and `required` united, refs followed. */
  mergeAllOf(s: Obj, where: string): Obj {
    const properties = new Map<string, unknown>()
    const required = new Set<string>()
    const other = new Map<string, unknown>()
    let allNullable = true
    const seen = new Set<string>()
    const visit = (member: unknown, level: number): void => {
      if (!isObj(member)) return
      if (level > MAX_DEPTH) {
        this.note(`${where}: \`allOf\` nested more than ${MAX_DEPTH} levels deep; the rest ignored`)
        return
      }
      if (typeof member.$ref === "string") {
        if (seen.has(member.$ref)) return
        seen.add(member.$ref)
        const target = refOf(this.model, member.$ref)
        if (target === undefined) this.note(`${where}: \`$ref\` ${member.$ref} leads nowhere; ignored in \`allOf\``)
        return visit(target, level + 1)
      }
      if (!isNullable(member)) allNullable = false
      for (const [k, v] of Object.entries(member)) {
        if (k === "allOf" && Array.isArray(v)) v.forEach((m) => visit(m, level + 1))
        else if (k === "properties" && isObj(v)) {
          for (const [name, p] of Object.entries(v)) {
            const before = properties.get(name)
            properties.set(
              name,
              before === undefined || JSON.stringify(before) === JSON.stringify(p) ? p : { allOf: [before, p] }
            )
          }
        } else if (k === "required") strings(v).forEach((r) => required.add(r))
        else if (k === "nullable" || k === "x-nullable") continue
        else if (!other.has(k)) other.set(k, v)
        else if ((k === "oneOf" || k === "anyOf") && JSON.stringify(other.get(k)) !== JSON.stringify(v)) {
          this.note(`${where}: several \`${k}\` in one \`allOf\`; the first kept`)
        }
      }
    }
    visit(Object.fromEntries(Object.entries(s).filter(([k]) => k !== "allOf")), 0)
    allNullable = true // the schema's own `nullable` is applied by the caller
    if (Array.isArray(s.allOf)) s.allOf.forEach((m) => visit(m, 1))
    const merged: Record<string, unknown> = Object.fromEntries(other)
    if (properties.size > 0) {
      merged.properties = Object.fromEntries(properties)
      if (merged.type === undefined) merged.type = "object"
    }
    if (required.size > 0) merged.required = [...required]
    if (allNullable && Array.isArray(s.allOf) && s.allOf.length > 0) merged.nullable = true
    return merged
  }
}

const inferType = (s: Obj): string | undefined =>
  ["properties", "additionalProperties", "required", "patternProperties"].some((k) => k in s)
    ? "object"
    : "items" in s
    ? "array"
    : undefined
