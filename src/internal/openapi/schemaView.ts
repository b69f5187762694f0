/**
 * A response schema as detection reads it: `$ref`s followed and `allOf`/`anyOf`/`oneOf`
 * members gathered, so "what properties does this object have, at which dotted path, with which
 * type" has one answer whatever way the document spelled the schema. Pure, for detectors only
 * (the Schema generator keeps `$ref`s as named Schemas instead).
 */
import type { ApiModel, JsonSchema } from "./model.js"

export type SchemaObject = { readonly [key: string]: unknown }

export const isObject = (u: unknown): u is SchemaObject => typeof u === "object" && u !== null && !Array.isArray(u)

/** A schema's members: itself, its `$ref`'s target and its composition members, each once. */
export type View = ReadonlyArray<SchemaObject>

/** Members gathered at most (a guard against documents that compose without end). */
const maxMembers = 64

/** Follows `$ref`s and gathers `allOf`/`anyOf`/`oneOf` members, cycles cut. */
export const view = (schemas: ReadonlyArray<JsonSchema | unknown>, model: ApiModel): View => {
  const out: Array<SchemaObject> = []
  const seen = new Set<SchemaObject>()
  const visit = (schema: unknown): void => {
    if (!isObject(schema) || seen.has(schema) || out.length >= maxMembers) return
    seen.add(schema)
    out.push(schema)
    if (typeof schema.$ref === "string") visit(model.resolve(schema.$ref))
    for (const key of ["allOf", "anyOf", "oneOf"]) {
      const members = schema[key]
      if (Array.isArray(members)) for (const member of members) visit(member)
    }
  }
  for (const schema of schemas) visit(schema)
  return out
}

/** The `type`s the members declare (3.1 type arrays included). */
export const types = (v: View): ReadonlySet<string> => {
  const out = new Set<string>()
  for (const member of v) {
    const t = member.type
    if (typeof t === "string") out.add(t)
    else if (Array.isArray(t)) for (const x of t) if (typeof x === "string") out.add(x)
  }
  return out
}

/** The first value a member gives for `key` (`format`, `description`, `default`, `maximum` ...). */
export const facet = (v: View, key: string): unknown => {
  for (const member of v) if (member[key] !== undefined) return member[key]
  return undefined
}

/** The properties the members declare, each with every member's schema of it. */
export const properties = (v: View): ReadonlyMap<string, ReadonlyArray<unknown>> => {
  const out = new Map<string, Array<unknown>>()
  for (const member of v) {
    const props = member.properties
    if (!isObject(props)) continue
    for (const [name, schema] of Object.entries(props)) {
      const list = out.get(name)
      if (list === undefined) out.set(name, [schema])
      else list.push(schema)
    }
  }
  return out
}

export interface Property {
  /** Keys from the response's root. */
  readonly path: ReadonlyArray<string>
  readonly view: View
  readonly types: ReadonlySet<string>
}

/**
 * Every property down to `maxDepth` levels, breadth first (shallow ones first). Arrays are not
 * entered (their items are records, not paging metadata); `skip` leaves out a subtree (the
 * records' own path).
 */
export const walk = (
  root: View,
  model: ApiModel,
  options: { readonly maxDepth: number; readonly skip?: (path: ReadonlyArray<string>) => boolean }
): ReadonlyArray<Property> => {
  const out: Array<Property> = []
  let level: Array<{ readonly path: ReadonlyArray<string>; readonly view: View }> = [{ path: [], view: root }]
  for (let depth = 0; depth < options.maxDepth && level.length > 0; depth++) {
    const next: Array<{ readonly path: ReadonlyArray<string>; readonly view: View }> = []
    for (const parent of level) {
      for (const [name, schemas] of properties(parent.view)) {
        const path = [...parent.path, name]
        if (options.skip?.(path) === true) continue
        const v = view(schemas, model)
        const t = types(v)
        out.push({ path, view: v, types: t })
        if (!t.has("array")) next.push({ path, view: v })
      }
    }
    level = next
  }
  return out
}

/** A name compared loosely: lower case, letters and digits only (`next_cursor` = `nextCursor`, `page[size]` = `pagesize`). */
export const norm = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, "")

/** A path as our config's selectors write it: `meta.next_cursor`, `["@odata.nextLink"]`. */
export const formatPath = (path: ReadonlyArray<string>): string =>
  path.map((key, i) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (i === 0 ? key : `.${key}`) : `[${JSON.stringify(key)}]`).join("")

/** The value at `path` in an example body, if it has one there. */
export const valueAt = (example: unknown, path: ReadonlyArray<string>): unknown => {
  let current = example
  for (const key of path) {
    if (!isObject(current)) return undefined
    current = current[key]
  }
  return current
}
