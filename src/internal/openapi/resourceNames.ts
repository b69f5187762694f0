/** Names from paths and properties: resource names, singulars, primary keys, the parent's field a parameter takes. */
import type { JsonSchema } from "./model.js"

/** Segments that say nothing about the resource (`/api/v2/users` is `users`). */
const noise = /^(api|rest|v\d+(\.\d+)*|\d+(\.\d+)*)$/i

export const snake = (s: string): string =>
  s.replace(/\.(json|xml|csv|yaml)$/i, "").replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "")
    .toLowerCase()

/** Words whose plural and singular are one word. */
const invariant = /(series|species|news|status|data|info|media|metadata|analytics|settings|access)$/i

export const singular = (word: string): string =>
  invariant.test(word)
    ? word
    : word.endsWith("ies")
    ? word.slice(0, -3) + "y"
    : word.endsWith("sses") || word.endsWith("xes") || word.endsWith("ches") || word.endsWith("shes")
    ? word.slice(0, -2)
    : word.endsWith("s") && !word.endsWith("ss")
    ? word.slice(0, -1)
    : word

export const segmentsOf = (path: string): ReadonlyArray<string> => path.split("/").filter((s) => s.length > 0)
export const isParam = (segment: string): boolean => segment.startsWith("{") && segment.endsWith("}")
export const paramName = (segment: string): string => segment.slice(1, -1)

/** The path's static segments that name things, in snake_case (`/api/v2/top-stories.json` → `top_stories`). */
export const staticWords = (path: string): ReadonlyArray<string> =>
  segmentsOf(path).filter((s) => !isParam(s) && !noise.test(s)).map(snake).filter((s) => s.length > 0)

/** `/repos/{owner}/{repo}/issues` → `repo_issues`; `/users` → `users`; `/pets/{id}/toys` → `pet_toys`. */
export const nameFromPath = (path: string): string => {
  const words = staticWords(path)
  if (words.length === 0) return "records"
  const last = words[words.length - 1]
  return words.length === 1 ? last : `${singular(words[words.length - 2])}_${last}`
}

/** A path with its static segments singular: `/invoices/{id}` and `/invoice/{id}` are one path. */
export const pathKey = (path: string): string => segmentsOf(path).map((s) => (isParam(s) ? "{}" : singular(s.toLowerCase()))).join("/")

const idLike = /^(id|uuid|guid|gid|uid|key|_id|pk|identifier)$/i

const isUuid = (schema: JsonSchema | undefined): boolean => typeof schema === "object" && schema["format"] === "uuid"

/** `id`, else `<singular>_id`/`<singular>Id`, else `uuid`, `gid`, `uid`, `key`, `pk`, ..., else a `format: uuid` property. */
export const primaryKeyOf = (properties: Record<string, JsonSchema> | undefined, resource: string): string | undefined => {
  if (properties === undefined) return undefined
  const names = Object.keys(properties)
  const own = singular(resource.split("_").pop() ?? resource)
  return names.find((n) => n === "id") ??
    names.find((n) => snake(n) === `${own}_id`) ??
    names.find((n) => idLike.test(n)) ??
    names.find((n) => isUuid(properties[n]))
}

/** The record field of a parent that fills a path parameter, if any. */
export const fieldFor = (
  param: string,
  parentName: string,
  properties: Record<string, JsonSchema> | undefined,
  parentKey: string | undefined
): string | undefined => {
  if (properties === undefined) return undefined
  const names = Object.keys(properties)
  const exact = names.find((n) => n === param) ?? names.find((n) => n.toLowerCase() === param.toLowerCase())
  if (exact !== undefined) return exact
  const stem = singular(parentName.split("_").pop() ?? parentName)
  const p = snake(param)
  // `{petId}`/`{pet_id}` under `/pets` is a pet's `id`; `{org}` under `/organizations` may be its `login`.
  if ((p === `${stem}_id` || p === "id") && names.includes("id")) return "id"
  const bare = p.replace(/_?(id|uuid|gid|uid|name|slug|key|login)$/, "")
  if (bare === stem || stem.startsWith(bare) || bare.startsWith(stem)) {
    // `{user_id}` is an id; `{username}`, `{org}`, `{repo}` are names more often than not.
    const order = /(id|uuid)$/.test(p) ? ["id", "uuid", "gid", "uid"] : ["login", "name", "slug", "username", "key", "id"]
    const found = order.find((n) => names.includes(n))
    if (found !== undefined) return found
  }
  // The last resort, as dlt-init-openapi: an id-like parameter takes the parent's primary key.
  return /(id|uuid|key)$/i.test(param) ? parentKey : undefined
}
