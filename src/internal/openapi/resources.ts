/**
 * Which operations become resources, and how: GET operations whose success response is a
 * list (a top-level array, or an array under a property: the `data_selector`), named from
 * their path (`/repos/{owner}/{repo}/issues` → `repo_issues`); a path parameter that another
 * list resource's records can fill makes the operation that resource's child
 * (`{resources.<parent>.<field>}`); `primary_key` from an `id`-like property.
 *
 * Default selection (no interaction): a resource is selected when every path parameter comes
 * from a parent, it has no required query parameter without a default or example, and its
 * parent (if any) is selected; the others are written with `selected: false` and listed in the
 * README stub, with what they need.
 */
import type { ApiModel, JsonSchema, Operation } from "./model.js"
import { listShapeOf, propertiesOf } from "./schemaShape.js"

export interface ResourcePlan {
  readonly name: string
  readonly operation: Operation
  /** The path with `{resources.<parent>.<field>}` where a parent fills a parameter. */
  readonly path: string
  readonly dataSelector: string | undefined
  /** The record's schema, `$ref`s kept. */
  readonly items: JsonSchema
  readonly primaryKey: string | undefined
  readonly parent: string | undefined
  /** Path parameters no parent fills, and required query parameters: with a default or example, or a `<name>` stand-in. */
  readonly params: Readonly<Record<string, string | number | boolean>>
  readonly selected: boolean
  /** What the user must check, for the README stub. */
  readonly notes: ReadonlyArray<string>
}

/** Segments that say nothing about the resource (`/api/v2/users` is `users`). */
const noise = /^(api|rest|v\d+(\.\d+)*|\d+(\.\d+)*)$/i

const snake = (s: string): string =>
  s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "").toLowerCase()

const singular = (word: string): string =>
  word.endsWith("ies") ? word.slice(0, -3) + "y" : word.endsWith("sses") || word.endsWith("xes") ? word.slice(0, -2) : word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word

const segmentsOf = (path: string): ReadonlyArray<string> => path.split("/").filter((s) => s.length > 0)
const isParam = (segment: string): boolean => segment.startsWith("{") && segment.endsWith("}")
const paramName = (segment: string): string => segment.slice(1, -1)

/** `/repos/{owner}/{repo}/issues` → `repo_issues`; `/users` → `users`; `/pets/{id}/toys` → `pet_toys`. */
export const nameFromPath = (path: string): string => {
  const statics = segmentsOf(path).filter((s) => !isParam(s) && !noise.test(s)).map(snake).filter((s) => s.length > 0)
  if (statics.length === 0) return "records"
  const last = statics[statics.length - 1]
  return statics.length === 1 ? last : `${singular(statics[statics.length - 2])}_${last}`
}

const idLike = (name: string): boolean => /^(id|uuid|guid|key|_id)$/i.test(name)

/** `id`, else `<singular>_id`/`<singular>Id`, else `uuid`/`key`. */
const primaryKeyOf = (properties: Record<string, JsonSchema> | undefined, resource: string): string | undefined => {
  if (properties === undefined) return undefined
  const names = Object.keys(properties)
  const own = singular(resource.split("_").pop() ?? resource)
  return names.find((n) => n === "id") ??
    names.find((n) => snake(n) === `${own}_id`) ??
    names.find(idLike)
}

/** The record field of a parent that fills a path parameter, if any. */
const fieldFor = (param: string, parentName: string, properties: Record<string, JsonSchema> | undefined): string | undefined => {
  if (properties === undefined) return undefined
  const names = Object.keys(properties)
  const exact = names.find((n) => n === param)
  if (exact !== undefined) return exact
  const stem = singular(parentName.split("_").pop() ?? parentName)
  const p = snake(param)
  // `{petId}`/`{pet_id}` under `/pets` is a pet's `id`; `{org}` under `/organizations` may be its `login`.
  if ((p === `${stem}_id` || p === "id") && names.includes("id")) return "id"
  const bare = p.replace(/_?(id|uuid|name|slug|key|login)$/, "")
  if (bare === stem || stem.startsWith(bare) || bare.startsWith(stem)) {
    // `{user_id}` is an id; `{username}`, `{org}`, `{repo}` are names more often than not.
    const order = /(id|uuid)$/.test(p) ? ["id", "uuid"] : ["login", "name", "slug", "username", "key", "id"]
    return order.find((n) => names.includes(n))
  }
  return undefined
}

const sampleValue = (schema: JsonSchema | undefined, name: string): string | number | boolean => {
  if (typeof schema === "object") {
    for (const key of ["default", "example"]) {
      const v = schema[key]
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v
    }
    const values = schema["enum"]
    if (Array.isArray(values) && (typeof values[0] === "string" || typeof values[0] === "number")) return values[0]
    // An array parameter (2.0's `collectionFormat`): its items' default or first value.
    const items = schema["items"]
    if (typeof items === "object" && items !== null && !Array.isArray(items)) {
      const one = sampleValue(Object.fromEntries(Object.entries(items)), name)
      if (one !== `<${name}>`) return one
    }
  }
  return `<${name}>`
}

interface Candidate {
  readonly operation: Operation
  readonly name: string
  readonly dataSelector: string | undefined
  readonly items: JsonSchema
  readonly properties: Record<string, JsonSchema> | undefined
}

/** List operations as resources, with parents, keys and the default selection. */
export const planResources = (model: ApiModel): ReadonlyArray<ResourcePlan> => {
  const candidates: Array<Candidate> = []
  const taken = new Set<string>()
  const ops = model.operations.filter((op) => op.method === "get" && !op.deprecated && op.response?.schema !== undefined)
  // Shorter paths first: parents are named (and found) before their children.
  for (const op of [...ops].sort((a, b) => segmentsOf(a.path).length - segmentsOf(b.path).length || a.path.localeCompare(b.path))) {
    const base = nameFromPath(op.path)
    // `GET /things/{id}` is one thing: its records are a top-level array or a wrapper's.
    const one = isParam(segmentsOf(op.path).at(-1) ?? "")
    const shape = listShapeOf(model, op.response?.schema, base, one)
    if (shape === undefined) continue
    // A name taken (`/user/followers` and `/users/{username}/followers`): every static segment, then a number.
    const long = segmentsOf(op.path).filter((s) => !isParam(s) && !noise.test(s)).map(snake).join("_")
    let name = taken.has(base) && long.length > 0 ? long : base
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`
    taken.add(name)
    candidates.push({ operation: op, name, dataSelector: shape.dataSelector, items: shape.items, properties: propertiesOf(model, shape.items) })
  }
  const plans: Array<ResourcePlan> = []
  for (const c of candidates) {
    const segments = segmentsOf(c.operation.path)
    const params = segments.filter(isParam).map(paramName)
    // The parent: the list resource with the longest path that is a prefix of this one's
    // (up to its last parameter) and whose records fill that parameter.
    let parent: Candidate | undefined
    let parentField: string | undefined
    const lastParam = params[params.length - 1]
    if (lastParam !== undefined) {
      const prefix = "/" + segments.slice(0, segments.indexOf(`{${lastParam}}`)).join("/")
      for (const p of candidates) {
        if (p === c || p.operation.path !== prefix) continue
        const field = fieldFor(lastParam, p.name, p.properties)
        if (field !== undefined) {
          parent = p
          parentField = field
        }
      }
    }
    const notes: Array<string> = []
    const values: Record<string, string | number | boolean> = {}
    let path = c.operation.path
    for (const param of params) {
      if (parent !== undefined && param === lastParam && parentField !== undefined) {
        path = path.replace(`{${param}}`, `{resources.${parent.name}.${parentField}}`)
        continue
      }
      const declared = c.operation.parameters.find((p) => p.in === "path" && p.name === param)
      values[param] = sampleValue(declared?.schema, param)
    }
    for (const q of c.operation.parameters) {
      if (q.in === "query" && q.required) values[q.name] = sampleValue(q.schema, q.name)
    }
    const standIns = Object.entries(values).filter(([, v]) => typeof v === "string" && /^<.+>$/.test(v)).map(([k]) => k)
    if (standIns.length > 0) notes.push(`needs a value for ${standIns.map((k) => `\`${k}\``).join(", ")} (in \`params\`); not selected until then`)
    const primaryKey = primaryKeyOf(c.properties, c.name)
    if (primaryKey === undefined) notes.push("no id-like property: no `primary_key`, so rows are appended")
    plans.push({
      name: c.name,
      operation: c.operation,
      path,
      dataSelector: c.dataSelector,
      items: c.items,
      primaryKey,
      parent: parent?.name,
      params: values,
      // A child goes with its parent (planned before it: shorter paths first).
      selected: standIns.length === 0 && (parent === undefined || plans.find((p) => p.name === parent?.name)?.selected === true),
      notes
    })
  }
  return plans
}

/** `*` and `?` globs on a resource's name or its operation's path. */
export const matches = (patterns: ReadonlyArray<string>, plan: Pick<ResourcePlan, "name" | "operation">): boolean =>
  patterns.some((pattern) => {
    const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$")
    return re.test(plan.name) || re.test(plan.operation.path)
  })
