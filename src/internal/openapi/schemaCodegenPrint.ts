/**
 * Prints schemaCodegenConvert.ts's `Node`s as Effect Schema expressions, and as the TypeScript
 * types (decoded and encoded side) that recursive schemas annotate `Schema.suspend` with.
 *
 * @internal
 */
import type { Field, Node } from "./schemaCodegenConvert.js"

/** Names the generated code uses or that would shadow globals it (or its reader) relies on. */
const RESERVED = new Set([
  "Schema", "Date", "ReadonlyArray", "Array", "Record", "Object", "String", "Number", "Boolean", "Symbol", "BigInt",
  "Function", "Error", "Map", "Set", "WeakMap", "WeakSet", "Promise", "JSON", "Math", "Infinity", "NaN", "RegExp",
  "Partial", "Required", "Readonly", "Pick", "Omit", "Exclude", "Extract", "NonNullable", "ReturnType", "Proxy",
  "Reflect", "Intl", "URL", "Buffer", "Uint8Array", "Effect", "Option", "Either", "Unknown", "Never"
])

const pascalCase = (name: string): string => {
  const id = name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("")
  return id.length === 0 ? "Anonymous" : /^[0-9]/.test(id) ? `S${id}` : id
}

/** Allocates unique PascalCase identifiers, in the order asked (so output is deterministic). */
export class Identifiers {
  private readonly used: Set<string>
  constructor(reserved: ReadonlyArray<string> = []) {
    this.used = new Set([...RESERVED, ...reserved])
  }
  allocate(base: string): string {
    let id = pascalCase(base)
    if (RESERVED.has(id)) id = `${id}Schema`
    let candidate = id
    for (let n = 2; this.used.has(candidate); n++) candidate = `${id}${n}`
    this.used.add(candidate)
    return candidate
  }
}

/** How a printer names things: the const of a named schema, and whether a reference must be suspended. */
export interface Naming {
  readonly constName: (schemaName: string) => string
  /** For a schema in the same recursive group as the declaration being printed: its [Type, Encoded] names. */
  readonly recursive: (schemaName: string) => readonly [string, string] | undefined
}

const INDENT = "  "
const WIDTH = 100
const REST = "Schema.Record({ key: Schema.String, value: Schema.Unknown })"

const isIdentifier = (name: string): boolean => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)

const propertyKey = (name: string): string =>
  name === "__proto__" ? `["__proto__"]` : isIdentifier(name) ? name : JSON.stringify(name)

const literal = (v: string | number | boolean): string => typeof v === "string" ? JSON.stringify(v) : String(v)

/** `open(items)close` on one line when short, else one item per line. */
const list = (
  open: string,
  items: ReadonlyArray<string>,
  close: string,
  indent: string,
  options: { readonly separator?: string; readonly lineSeparator?: string; readonly maxItems?: number } = {}
): string => {
  const separator = options.separator ?? ","
  const flat = `${open}${items.join(`${separator} `)}${close}`
  const fits = items.length <= (options.maxItems ?? Infinity) && flat.length + indent.length <= WIDTH
  if (fits && !flat.includes("\n")) return flat
  const inner = indent + INDENT
  const lineSeparator = options.lineSeparator ?? separator
  return `${open.trimEnd()}\n${items.map((i) => inner + i).join(`${lineSeparator}\n`)}\n${indent}${close.trimStart()}`
}

export const printSchema = (node: Node, naming: Naming, indent = ""): string => {
  const go = (n: Node, ind: string): string => {
    switch (n._tag) {
      case "Unknown":
      case "Never":
      case "String":
      case "Number":
      case "Int":
      case "Boolean":
      case "Null":
      case "DateFromString":
        return `Schema.${n._tag}`
      case "Literal":
        return list("Schema.Literal(", n.values.map(literal), ")", ind)
      case "Array":
        return `Schema.Array(${go(n.item, ind)})`
      case "NullOr":
        return `Schema.NullOr(${go(n.node, ind)})`
      case "Record":
        return `Schema.Record({ key: Schema.String, value: ${go(n.value, ind)} })`
      case "Union":
        return list("Schema.Union(", n.members.map((m) => go(m, ind + INDENT)), ")", ind)
      case "Struct": {
        const fields = n.fields.map((f) => {
          const value = go(f.node, ind + INDENT)
          return `${propertyKey(f.name)}: ${f.optional ? `Schema.optional(${value})` : value}`
        })
        const rest = n.rest._tag === "Unknown" ? REST : `Schema.Record({ key: Schema.String, value: ${go(n.rest, ind)} })`
        return `${list("Schema.Struct({ ", fields, " }", ind, { maxItems: 4 })}, ${rest})`
      }
      case "Ref": {
        const id = naming.constName(n.name)
        const rec = naming.recursive(n.name)
        return rec === undefined ? id : `Schema.suspend((): Schema.Schema<${rec[0]}, ${rec[1]}> => ${id})`
      }
    }
  }
  return go(node, indent)
}

export type Side = "Type" | "Encoded"

const typeMembers = (fields: ReadonlyArray<Field>, rest: Node, side: Side, naming: Naming, indent: string): Array<string> => [
  ...fields.map((f) => {
    const t = printType(f.node, side, naming, indent + INDENT)
    return f.optional ? `readonly ${propertyKey(f.name)}?: ${t} | undefined` : `readonly ${propertyKey(f.name)}: ${t}`
  }),
  `readonly [x: string]: ${printType(rest, side, naming, indent + INDENT)}`
]

/** The TypeScript type of a Node's decoded (`Type`) or encoded side. */
export const printType = (node: Node, side: Side, naming: Naming, indent = ""): string => {
  switch (node._tag) {
    case "Unknown":
    case "Never":
    case "String":
    case "Number":
    case "Boolean":
    case "Null":
      return node._tag.toLowerCase()
    case "Int":
      return "number"
    case "DateFromString":
      return side === "Type" ? "Date" : "string"
    case "Literal":
      return node.values.map(literal).join(" | ")
    case "Array":
      return `ReadonlyArray<${printType(node.item, side, naming, indent)}>`
    case "NullOr":
      return `${printType(node.node, side, naming, indent)} | null`
    case "Record":
      return `{ readonly [x: string]: ${printType(node.value, side, naming, indent)} }`
    case "Union":
      return node.members.map((m) => printType(m, side, naming, indent)).join(" | ")
    case "Struct":
      return list("{ ", typeMembers(node.fields, node.rest, side, naming, indent), " }", indent, { separator: ";", lineSeparator: "", maxItems: 4 })
    case "Ref": {
      const rec = naming.recursive(node.name)
      if (rec !== undefined) return side === "Type" ? rec[0] : rec[1]
      return `typeof ${naming.constName(node.name)}.${side}`
    }
  }
}

/** `interface X { … }` for a struct, else `type X = …`. */
export const printTypeDeclaration = (name: string, node: Node, side: Side, naming: Naming): string =>
  node._tag === "Struct"
    ? `interface ${name} {\n${typeMembers(node.fields, node.rest, side, naming, "").map((m) => INDENT + m).join("\n")}\n}`
    : `type ${name} = ${printType(node, side, naming)}`
