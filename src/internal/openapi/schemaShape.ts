/**
 * What detection needs to know of a response schema: is it a list, which property holds the
 * list, which properties do its items have. `$ref`s are followed and `allOf` members merged.
 */
import type { ApiModel, JsonSchema } from "./model.js"

type Json = { readonly [key: string]: unknown }

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)

/** The schema behind `$ref`s (a few hops at most). */
export const follow = (model: Pick<ApiModel, "resolve">, schema: unknown): Json | undefined => {
  let current = schema
  for (let hops = 0; hops < 8 && isObject(current) && typeof current["$ref"] === "string"; hops++) {
    current = model.resolve(current["$ref"])
  }
  return isObject(current) ? current : undefined
}

const types = (schema: Json): ReadonlyArray<string> =>
  typeof schema["type"] === "string" ? [schema["type"]] : Array.isArray(schema["type"]) ? schema["type"].map(String) : []

const isSchema = (u: unknown): u is JsonSchema => isObject(u) || typeof u === "boolean"

/** The entries of an object that are schemas. */
const schemasIn = (o: Json): Record<string, JsonSchema> => {
  const out: Record<string, JsonSchema> = {}
  for (const [k, v] of Object.entries(o)) if (isSchema(v)) out[k] = v
  return out
}

/**
 * The schema's own properties and those of its `allOf`, `anyOf` and `oneOf` members (a record
 * of a union has any member's), undefined when it declares none and is not an object.
 */
export const propertiesOf = (model: Pick<ApiModel, "resolve">, schema: unknown, depth = 0): Record<string, JsonSchema> | undefined => {
  const s = follow(model, schema)
  if (s === undefined || depth > 8) return undefined
  let out: Record<string, JsonSchema> | undefined
  const own = s["properties"]
  if (isObject(own)) out = schemasIn(own)
  for (const key of ["allOf", "anyOf", "oneOf"]) {
    const members = s[key]
    for (const member of Array.isArray(members) ? members : []) {
      const more = propertiesOf(model, member, depth + 1)
      // allOf: a later member refines an earlier one; a union's members add what is not there.
      if (more !== undefined) out = key === "allOf" ? { ...(out ?? {}), ...more } : { ...more, ...(out ?? {}) }
    }
  }
  if (out === undefined && types(s).includes("object")) return {}
  return out
}

/** The item schema when the schema is an array (3.1 `["array", "null"]` too). */
export const itemsOf = (model: Pick<ApiModel, "resolve">, schema: unknown): JsonSchema | undefined => {
  const s = follow(model, schema)
  if (s === undefined) return undefined
  if (!types(s).includes("array") && s["items"] === undefined) return undefined
  const items = s["items"]
  return isSchema(items) ? items : {}
}

/** Names of what a page of records says besides them. */
const pagingMetadata = /total|count|page|next|prev|cursor|more|limit|offset|size|link|meta|pagination|paging|start|end|last|first|token|has_|took|status|ok|warning|error|message|request_?id|response_metadata|type|object|url/i

/** Property names that read as a list's wrapper, most likely first. */
const wrapperNames = ["data", "items", "results", "records", "entries", "values", "objects", "list", "content", "elements", "rows", "nodes", "edges"]

export interface ListShape {
  /** Where the records are: undefined for a top-level array, else a property path (`data`, `data.items`). */
  readonly dataSelector: string | undefined
  readonly items: JsonSchema
}

/**
 * Whether a response schema is a list of records: a top-level array, or an object with an
 * array property (the only one, or one with a wrapper's name, one level down at most).
 */
export const listShapeOf = (
  model: Pick<ApiModel, "resolve">,
  schema: unknown,
  resourceName?: string,
  /** Only a wrapper's list counts (the operation reads one thing: `GET /things/{id}`). */
  wrappedOnly = false
): ListShape | undefined => {
  const top = itemsOf(model, schema)
  if (top !== undefined) return { dataSelector: undefined, items: top }
  const pick = (properties: Record<string, JsonSchema>): [string, JsonSchema] | undefined => {
    const arrays = Object.entries(properties).flatMap(([name, p]) => {
      const items = itemsOf(model, p)
      return items === undefined ? [] : [[name, items] as [string, JsonSchema]]
    })
    // The only list in an object is its records when they are objects and everything beside it
    // reads as paging metadata (an object with a list of strings, GitHub's `/app` and its
    // `events`, or a profile with a list of websites, is one record).
    const ofObjects = arrays.filter(([, items]) => propertiesOf(model, items) !== undefined)
    const besides = Object.keys(properties).filter((name) => name !== ofObjects[0]?.[0])
    if (ofObjects.length === 1 && !wrappedOnly && besides.every((name) => pagingMetadata.test(name))) return ofObjects[0]
    const named = (name: string) => arrays.find(([n]) => n === name)
    for (const name of [...(resourceName === undefined ? [] : [resourceName]), ...wrapperNames]) {
      const hit = named(name)
      if (hit !== undefined) return hit
    }
    return undefined
  }
  const properties = propertiesOf(model, schema)
  if (properties === undefined) return undefined
  const direct = pick(properties)
  if (direct !== undefined) return { dataSelector: direct[0], items: direct[1] }
  // One level down: `{ data: { items: [...] } }`.
  for (const name of wrapperNames) {
    const inner = properties[name]
    const innerProperties = inner === undefined ? undefined : propertiesOf(model, inner)
    const hit = innerProperties === undefined ? undefined : pick(innerProperties)
    if (hit !== undefined) return { dataSelector: `${name}.${hit[0]}`, items: hit[1] }
  }
  return undefined
}
