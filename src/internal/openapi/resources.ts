/**
 * Which operations become resources, and how:
 * - lists: GET operations whose success response is a list (a top-level array, or an array
 *   under a property: the `data_selector`), and GETs without a usable response schema that take
 *   a paging parameter (their records are found at run time, as dlt does);
 * - details: `GET /things/{id}` under a list `GET /things` (one record per parent record);
 * - children: a path parameter that another list's records fill (`{resources.<parent>.<field>}`),
 *   the parent's path being this one's up to that parameter (singular or plural alike).
 * Names come from the path (`/repos/{owner}/{repo}/issues` → `repo_issues`), `primary_key` from
 * an `id`-like property.
 *
 * Default selection (no interaction): a list is selected when nothing is left to fill in (every
 * path parameter comes from a parent, every required query parameter has a default) and its
 * parent, if any, is selected; details never (a request per parent record, for what the list
 * often has). The others are written with `selected: false`, and the README stub says what each needs.
 */
import type { ApiModel, JsonSchema, Operation, Parameter } from "./model.js"
import { fieldFor, isParam, nameFromPath, paramName, pathKey, primaryKeyOf, segmentsOf, singular, staticWords } from "./resourceNames.js"
import { listShapeOf, propertiesOf } from "./schemaShape.js"

export interface ResourcePlan {
  readonly name: string
  /** A list of records, or one record per parent record (`GET /things/{id}`). */
  readonly kind: "list" | "detail"
  readonly operation: Operation
  /** The path with `{resources.<parent>.<field>}` where a parent fills a parameter. */
  readonly path: string
  /** Where the records are; undefined: found at run time (a top-level array, or dlt's rules). */
  readonly dataSelector: string | undefined
  /** The record's schema, `$ref`s kept. */
  readonly items: JsonSchema
  readonly primaryKey: string | undefined
  readonly parent: string | undefined
  /** Path parameters no parent fills, and required query parameters: a default or example, or a `<name>` stand-in. */
  readonly params: Readonly<Record<string, string | number | boolean>>
  readonly selected: boolean
  /** What the user must check, for the README stub. */
  readonly notes: ReadonlyArray<string>
}

interface Candidate {
  readonly operation: Operation
  readonly kind: ResourcePlan["kind"]
  readonly base: string
  readonly dataSelector: string | undefined
  readonly items: JsonSchema
  readonly properties: Record<string, JsonSchema> | undefined
}

/** A parameter's value from the document, and whether the document means it (a default) or shows it (an example). */
const valueOf = (schema: JsonSchema | undefined): { readonly value: string | number | boolean; readonly given: boolean } | undefined => {
  if (typeof schema !== "object") return undefined
  const scalar = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean"
  const d = schema["default"]
  if (typeof d === "string" || typeof d === "number" || typeof d === "boolean") return { value: d, given: true }
  const e = schema["example"]
  if (typeof e === "string" || typeof e === "number" || typeof e === "boolean") return { value: e, given: false }
  const values = schema["enum"]
  if (Array.isArray(values) && scalar(values[0])) {
    const first: unknown = values[0]
    if (typeof first === "string" || typeof first === "number") return { value: first, given: false }
  }
  // An array parameter (2.0's `collectionFormat`): its items' default or first value.
  const items = schema["items"]
  return typeof items === "object" && items !== null && !Array.isArray(items) ? valueOf(Object.fromEntries(Object.entries(items))) : undefined
}

const pagingParam = /^(page|page_?number|page_?token|offset|skip|start|cursor|after|before|since|starting_after|limit|per_?page|page_?size|size|count|top|\$top|\$skip)$/i

const candidateOf = (model: ApiModel, op: Operation): Candidate | undefined => {
  const base = nameFromPath(op.path)
  const schema = op.response?.schema
  const endsInParam = isParam(segmentsOf(op.path).at(-1) ?? "")
  // `GET /things/{id}` is one thing: its records are a top-level array or a wrapper's.
  const shape = schema === undefined ? undefined : listShapeOf(model, schema, base, endsInParam)
  if (shape !== undefined) {
    return { operation: op, kind: "list", base, dataSelector: shape.dataSelector, items: shape.items, properties: propertiesOf(model, shape.items) }
  }
  const properties = schema === undefined ? undefined : propertiesOf(model, schema)
  if (endsInParam && properties !== undefined && Object.keys(properties).length > 0) {
    return { operation: op, kind: "detail", base, dataSelector: "$", items: schema ?? {}, properties }
  }
  // No usable schema (`{}`, a bare object, none) but paging parameters: a list found at run time.
  const untyped = schema === undefined || properties === undefined || Object.keys(properties).length === 0
  if (!endsInParam && untyped && op.parameters.some((p) => p.in === "query" && pagingParam.test(p.name))) {
    return { operation: op, kind: "list", base, dataSelector: undefined, items: {}, properties: undefined }
  }
  return undefined
}

/** Lists, details and children as resources, with parents, keys and the default selection. */
export const planResources = (model: ApiModel): ReadonlyArray<ResourcePlan> => {
  const ops = model.operations.filter((op) => op.method === "get" && !op.deprecated)
  // Shorter paths first: parents are named (and found) before their children.
  const sorted = [...ops].sort((a, b) => segmentsOf(a.path).length - segmentsOf(b.path).length || a.path.localeCompare(b.path))
  const candidates = sorted.flatMap((op) => candidateOf(model, op) ?? [])
  const lists = new Map<string, { readonly candidate: Candidate; readonly plan: ResourcePlan }>()
  const taken = new Set<string>()
  const plans: Array<ResourcePlan> = []
  for (const c of candidates) {
    const segments = segmentsOf(c.operation.path)
    const params = segments.filter(isParam).map(paramName)
    const lastParam = params.at(-1)
    // The parent: the list whose path is this one's up to its last parameter, and whose records fill it.
    let parent: { readonly plan: ResourcePlan; readonly field: string } | undefined
    if (lastParam !== undefined) {
      const prefix = pathKey(segments.slice(0, segments.indexOf(`{${lastParam}}`)).join("/"))
      const found = lists.get(prefix)
      const field = found === undefined ? undefined : fieldFor(lastParam, found.plan.name, found.candidate.properties, found.plan.primaryKey)
      if (found !== undefined && field !== undefined) parent = { plan: found.plan, field }
    }
    if (c.kind === "detail" && parent === undefined) continue
    // A name taken (`/user/followers` and `/users/{username}/followers`): every static segment,
    // a detail's `<parent>_details`, then a number.
    const long = staticWords(c.operation.path).join("_")
    let name = !taken.has(c.base) ? c.base : c.kind === "detail" && parent !== undefined ? `${singular(parent.plan.name)}_details` : long || c.base
    for (let n = 2; taken.has(name); n++) name = `${c.base}_${n}`
    taken.add(name)

    const notes: Array<string> = []
    const values: Record<string, string | number | boolean> = {}
    const missing: Array<string> = []
    let path = c.operation.path
    const fill = (p: Parameter | undefined, name: string, isPath: boolean) => {
      const v = valueOf(p?.schema)
      values[name] = v?.value ?? `<${name}>`
      // A path parameter's value is never the document's to give: an example or a default is one account's.
      if (v === undefined || !v.given || isPath) missing.push(v === undefined ? `\`${name}\`` : `\`${name}\` (the document's ${v.given ? "default" : "example"} is filled in)`)
    }
    for (const param of params) {
      if (parent !== undefined && param === lastParam) {
        path = path.replace(`{${param}}`, `{resources.${parent.plan.name}.${parent.field}}`)
        continue
      }
      fill(c.operation.parameters.find((p) => p.in === "path" && p.name === param), param, true)
    }
    for (const q of c.operation.parameters) if (q.in === "query" && q.required) fill(q, q.name, false)
    if (missing.length > 0) notes.push(`needs a value for ${missing.join(", ")} in \`params\`; not selected until you set it`)
    if (parent !== undefined && !/^(id|login|name)$/.test(parent.field) && parent.field !== lastParam) {
      notes.push(`\`{${lastParam}}\` is taken from ${parent.plan.name}'s \`${parent.field}\` (a guess: check it)`)
    }
    if (c.kind === "detail") notes.push(`one request per ${parent?.plan.name} record (the list may already hold what it gives): not selected`)
    if (c.dataSelector === undefined && Object.keys(c.items).length === 0) notes.push("the document gives no usable schema: records are found at run time and not typed")
    const primaryKey = primaryKeyOf(c.properties, name) ?? (c.kind === "detail" ? parent?.plan.primaryKey : undefined)
    if (primaryKey === undefined) notes.push("no id-like property: no `primary_key`, so rows are appended")
    const plan: ResourcePlan = {
      name,
      kind: c.kind,
      operation: c.operation,
      path,
      dataSelector: c.dataSelector,
      items: c.items,
      primaryKey,
      parent: parent?.plan.name,
      params: values,
      // A child goes with its parent (planned before it: shorter paths first).
      selected: c.kind === "list" && missing.length === 0 && (parent === undefined || parent.plan.selected),
      notes
    }
    plans.push(plan)
    if (c.kind === "list") lists.set(pathKey(c.operation.path), { candidate: c, plan })
  }
  return plans
}

/** `*` and `?` globs on a resource's name or its operation's path. */
export const matches = (patterns: ReadonlyArray<string>, plan: Pick<ResourcePlan, "name" | "operation">): boolean =>
  patterns.some((pattern) => {
    const re = new RegExp("^" + pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$")
    return re.test(plan.name) || re.test(plan.operation.path)
  })
