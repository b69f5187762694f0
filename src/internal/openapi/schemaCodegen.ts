/**
 * JSON Schema (OpenAPI 2.0/3.0/3.1) → TypeScript source of Effect Schemas, for the connector
 * module `rest-connector init --openapi` writes: one Schema per resource, typed end to end.
 *
 * Pure: the caller writes `import { Schema } from "effect"`, then `declarations`, then uses `roots`.
 * Only the named schemas reachable from the roots are declared (GitHub's document has ~900),
 * dependencies first; recursive groups get `interface`s and `Schema.suspend`. Objects keep
 * their unknown keys (a Struct with a `Record` index signature), so records are not trimmed.
 *
 * @internal
 */
import type { JsonSchema } from "./model.js"
import { Converter, type Node, type SchemaModel } from "./schemaCodegenConvert.js"
import { Identifiers, type Naming, printSchema, printTypeDeclaration } from "./schemaCodegenPrint.js"

export type { SchemaModel }

export interface SchemaModule {
  /** `const` per named schema used (and what those reference), dependencies first; `interface`s for recursive ones. */
  readonly declarations: string
  /** An expression per root: `Schema.Struct({...})`, or the name of a declaration. */
  readonly roots: ReadonlyArray<string>
  /** What could not be expressed exactly ("schema issue.x: `not` ignored"), for the README stub. */
  readonly notes: ReadonlyArray<string>
}

export interface GenerateOptions {
  /** Identifiers the generated code must not declare (the caller's own names). */
  readonly reserved?: ReadonlyArray<string>
}

/** The nodes' references to named schemas, in order of appearance. */
const refsOf = (node: Node, out: Array<string> = []): Array<string> => {
  switch (node._tag) {
    case "Ref":
      out.push(node.name)
      break
    case "Array":
      refsOf(node.item, out)
      break
    case "NullOr":
      refsOf(node.node, out)
      break
    case "Record":
      refsOf(node.value, out)
      break
    case "Union":
      node.members.forEach((m) => refsOf(m, out))
      break
    case "Struct":
      node.fields.forEach((f) => refsOf(f.node, out))
      refsOf(node.rest, out)
      break
  }
  return out
}

/** References not under an object or array: a cycle of these has no TypeScript type (`type A = B; type B = A`). */
const nakedRefs = (node: Node): Array<string> =>
  node._tag === "Ref"
    ? [node.name]
    : node._tag === "NullOr"
    ? nakedRefs(node.node)
    : node._tag === "Union"
    ? node.members.flatMap(nakedRefs)
    : []

/** Strongly connected components (Tarjan), each after the components it depends on. */
const components = (nodes: ReadonlyArray<string>, edges: (n: string) => ReadonlyArray<string>): Array<Array<string>> => {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const out: Array<Array<string>> = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter)
    counter++
    stack.push(v)
    onStack.add(v)
    for (const w of edges(v)) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0))
    }
    if (low.get(v) === index.get(v)) {
      const component: Array<string> = []
      let w: string | undefined
      do {
        w = stack.pop()
        if (w !== undefined) {
          onStack.delete(w)
          component.push(w)
        }
      } while (w !== undefined && w !== v)
      out.push(component.sort((a, b) => nodes.indexOf(a) - nodes.indexOf(b)))
    }
  }
  for (const n of nodes) if (!index.has(n)) visit(n)
  return out
}

const UNKNOWN: Node = { _tag: "Unknown" }

export const generateSchemas = (
  model: SchemaModel,
  roots: ReadonlyArray<JsonSchema>,
  options: GenerateOptions = {}
): SchemaModule => {
  const converter = new Converter(model)
  const rootNodes = roots.map((root, i) => converter.convert(root, `root ${i}`))

  // The named schemas reachable from the roots, converted once each, in order of discovery.
  const named = new Map<string, Node>()
  let order: Array<string> = []
  const queue = rootNodes.flatMap((n) => refsOf(n))
  while (queue.length > 0) {
    const name = queue.shift()
    if (name === undefined || named.has(name)) continue
    const node = converter.convert(model.schemas[name], `schema ${name}`)
    named.set(name, node)
    order.push(name)
    queue.push(...refsOf(node))
  }

  const deps = (name: string): ReadonlyArray<string> => [...new Set(refsOf(named.get(name) ?? UNKNOWN))]
  const isRecursive = (g: ReadonlyArray<string>): boolean => g.length > 1 || deps(g[0]).includes(g[0])

  // A recursive group whose members only refer to each other bare (`A = B | null`, `B = A`) has no type: Unknown.
  let groups = components(order, deps)
  let changed = false
  for (const g of groups.filter(isRecursive)) {
    const bare = components(g, (n) => nakedRefs(named.get(n) ?? UNKNOWN).filter((r) => g.includes(r)))
    for (const cycle of bare) {
      if (cycle.length > 1 || nakedRefs(named.get(cycle[0]) ?? UNKNOWN).includes(cycle[0])) {
        for (const n of cycle) {
          converter.note(`schema ${n}: refers to itself with no object or array in between; typed Unknown`)
          named.set(n, UNKNOWN)
          changed = true
        }
      }
    }
  }
  if (changed) {
    // What is still reachable, in the same order.
    const keep = new Set<string>()
    const walk = (name: string): void => {
      if (keep.has(name)) return
      keep.add(name)
      deps(name).forEach(walk)
    }
    rootNodes.forEach((n) => refsOf(n).forEach(walk))
    order = order.filter((n) => keep.has(n))
    groups = components(order, deps)
  }

  const ids = new Identifiers(options.reserved)
  const constNames = new Map(order.map((n) => [n, ids.allocate(n)]))
  const typeNames = new Map<string, readonly [string, string]>()
  for (const g of groups.filter(isRecursive)) {
    for (const n of g) {
      const id = constNames.get(n) ?? n
      typeNames.set(n, [id, ids.allocate(`${id}Encoded`)])
    }
  }
  const constName = (name: string): string => constNames.get(name) ?? name
  const namingIn = (group: ReadonlyArray<string> | undefined): Naming => ({
    constName,
    recursive: (name) => group !== undefined && group.includes(name) ? typeNames.get(name) : undefined
  })

  const blocks: Array<string> = []
  for (const g of groups) {
    const naming = namingIn(isRecursive(g) ? g : undefined)
    if (isRecursive(g)) {
      for (const n of g) {
        const [typeName, encodedName] = typeNames.get(n) ?? [n, n]
        const node = named.get(n) ?? UNKNOWN
        blocks.push(printTypeDeclaration(typeName, node, "Type", naming))
        blocks.push(printTypeDeclaration(encodedName, node, "Encoded", naming))
      }
    }
    for (const n of g) blocks.push(`const ${constName(n)} = ${printSchema(named.get(n) ?? UNKNOWN, naming)}`)
  }
  return {
    declarations: blocks.length === 0 ? "" : `${blocks.join("\n\n")}\n`,
    roots: rootNodes.map((n) => printSchema(n, namingIn(undefined))),
    notes: converter.notes
  }
}
