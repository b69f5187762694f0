/**
 * A seeded generator of hostile configs: a realistic seed config (auth with a secret, retry,
 * incremental, cursor paging, column hints, a merge strategy, a child resource) with 1 to 3
 * mutations each: wrong types, unknown keys, deep nesting (around the 64-level limit and far
 * past it), 1 MB strings, injection-like and odd names, out-of-range numbers, deleted keys,
 * duplicated resources and secret references in places that take none.
 */
import type { Rng } from "./prng.js"

export type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }
type Path = ReadonlyArray<string | number>

export type MutationKind =
  | "wrong-type"
  | "unknown-key"
  | "deep"
  | "huge-string"
  | "injection"
  | "number"
  | "delete"
  | "duplicate-resource"
  | "secret-ref"

export interface Mutant {
  readonly id: number
  /** The config file's text (JSON). */
  readonly text: string
  /** What was done, one line per mutation (huge values abbreviated). */
  readonly mutations: ReadonlyArray<string>
  readonly kinds: ReadonlySet<MutationKind>
}

const cursor = { type: "cursor", limit: 25, cursor_param: "next", stop_condition: "{{ response.get('hasNext', {}) == False }}" }

/** The config every mutant starts from (it runs as is against the demo API at `baseUrl`). */
export const seedConfig = (baseUrl: string): Json => ({
  client: {
    base_url: baseUrl,
    auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "ANALYTICS_API_KEY" }, location: "header" },
    headers: { "X-Client": "fault-suite" },
    timeout: 5,
    retry: { max_retries: 1, backoff_factor: 0.1, jitter: 0, status_codes: [429, 503] }
  },
  resource_defaults: { primary_key: "id", write_disposition: "merge", max_table_nesting: 2 },
  resources: [
    {
      name: "appointment_links",
      table_name: "appointment_links",
      endpoint: {
        path: "/appointmentlinks/me",
        data_selector: "data",
        params: { updated_since: "{incremental.start_value}" },
        incremental: { cursor_path: "updatedAt", initial_value: "2000-01-01T00:00:00Z" },
        paginator: cursor
      },
      columns: { price: { data_type: "double" }, title: { data_type: "text", nullable: true } }
    },
    {
      name: "code_snippets",
      write_disposition: { disposition: "merge", strategy: "upsert" },
      endpoint: { path: "/codesnippets", data_selector: "results", paginator: cursor }
    }
  ]
})

const isObject = (v: Json): v is { readonly [key: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v)

/** Every path of the tree, the root (`[]`) included; not inside values nested past 70 levels. */
const pathsOf = (value: Json, at: Path = []): Array<Path> => {
  const out: Array<Path> = [at]
  if (at.length > 70) return out
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])))
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]))
  return out
}

const getAt = (value: Json, path: Path): Json => path.reduce<Json>((v, k) => (isObject(v) ? v[String(k)] : Array.isArray(v) ? v[Number(k)] : null), value)

/** A copy with `path` set to `next` (`undefined` deletes it); keys such as `__proto__` stay own keys. */
const setAt = (value: Json, path: Path, next: Json | undefined): Json | undefined => {
  if (path.length === 0) return next
  const [head, ...rest] = path
  if (Array.isArray(value)) {
    const copy: Array<Json> = [...value]
    const child = setAt(copy[Number(head)] ?? null, rest, next)
    if (child === undefined) copy.splice(Number(head), 1)
    else copy[Number(head)] = child
    return copy
  }
  const copy: Record<string, Json> = {}
  const source = isObject(value) ? value : {}
  for (const [k, v] of Object.entries(source)) define(copy, k, v)
  const child = setAt(source[String(head)] ?? null, rest, next)
  if (child === undefined) delete copy[String(head)]
  else define(copy, String(head), child)
  return copy
}

const define = (target: Record<string, Json>, key: string, value: Json) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })

const show = (path: Path) => (path.length === 0 ? "(root)" : path.map((k) => (typeof k === "number" ? `[${k}]` : `.${k}`)).join(""))
const abbreviate = (v: Json | undefined): string => {
  const text = JSON.stringify(v) ?? "undefined"
  return text.length > 60 ? `${text.slice(0, 40)}…(${text.length} chars)` : text
}

const MB = 1024 * 1024
export const injectionNames: ReadonlyArray<string> = [
  "x\"; DROP TABLE canary; --",
  "'; DELETE FROM canary; --",
  "Robert'); DROP TABLE canary;--",
  "../../etc/passwd",
  "..\\..\\windows",
  "a\"b'c`d",
  "日本語のテーブル",
  "😀 emoji",
  "Ä".repeat(40),
  "n".repeat(200),
  "",
  " ",
  "_rc_loads",
  "_RC_State",
  "pg_catalog",
  "public.canary",
  "name\nwith newline",
  "tab\there",
  "nul\u0000byte",
  "$1",
  "{resources.x.id}",
  "{{ response }}",
  "%s%s%n",
  "__proto__",
  "constructor"
]

const strangeValues: ReadonlyArray<Json> = [42, -1, 3.5, 0, "text", "", true, false, null, [], {}, [1, "a", null], { k: 1 }, "{{", "}}"]
const strangeNumbers: ReadonlyArray<number> = [-1, 0, -0.5, 0.0001, 1.5, 1e308, 2 ** 53 + 1, -2147483649, 2147483648, 99999999999]
const numberKeys = ["timeout", "max_retries", "backoff_factor", "limit", "max_table_nesting", "concurrency", "max_delay", "maximum_page", "max_total_wait", "jitter", "lag", "max_response_bytes"]
const nameKeys = new Set(["name", "table_name", "primary_key", "data_selector", "cursor_path", "path", "cursor_param", "base_url", "initial_value", "stop_condition"])

const nested = (rng: Rng): Json => {
  const depth = rng.pick([10, 62, 63, 64, 65, 66, 100, 1000])
  const arrays = rng.chance(0.5)
  let v: Json = "leaf"
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v }
  return v
}

const hugeString = (rng: Rng): string => rng.pick(["a", "x\"'", "é", "{", "{{ ", "\\", "/", " "]).repeat(Math.ceil(MB / 3)).slice(0, MB)

type Step = (rng: Rng, config: Json) => { readonly config: Json; readonly line: string; readonly kind: MutationKind }

/** Candidates, or the root when an earlier mutation left none. */
const orRoot = (paths: ReadonlyArray<Path>): ReadonlyArray<Path> => (paths.length > 0 ? paths : [[]])
const objectPaths = (config: Json) => orRoot(pathsOf(config).filter((p) => isObject(getAt(config, p))))
const innerPaths = (config: Json) => orRoot(pathsOf(config).filter((p) => p.length > 0))

const steps: ReadonlyArray<Step> = [
  (rng, config) => {
    const path = rng.pick(pathsOf(config))
    const v = rng.pick(strangeValues)
    return { config: setAt(config, path, v) ?? null, line: `wrong type at ${show(path)}: ${abbreviate(v)}`, kind: "wrong-type" }
  },
  (rng, config) => {
    const path = rng.pick(objectPaths(config))
    const key = rng.pick(["zz_unknown", "__proto__", "constructor", "Name", "primary-key", "ëxtra", "", "toString", "resources"])
    const v = rng.pick(strangeValues)
    return { config: setAt(config, [...path, key], v) ?? null, line: `key ${JSON.stringify(key)} added at ${show(path)}`, kind: "unknown-key" }
  },
  (rng, config) => {
    const path = rng.pick(innerPaths(config))
    const v = nested(rng)
    return { config: setAt(config, path, v) ?? null, line: `deep value at ${show(path)}: ${abbreviate(v)}`, kind: "deep" }
  },
  (rng, config) => {
    const strings = pathsOf(config).filter((p) => typeof getAt(config, p) === "string")
    const path = rng.pick(orRoot(strings))
    return { config: setAt(config, path, hugeString(rng)) ?? null, line: `1 MB string at ${show(path)}`, kind: "huge-string" }
  },
  (rng, config) => {
    const candidates = pathsOf(config).filter((p) => {
      const last = p[p.length - 1]
      return (typeof last === "string" && nameKeys.has(last)) || (p[p.length - 2] === "resources" && typeof getAt(config, p) === "string")
    })
    const renamable = objectPaths(config).filter((p) => ["params", "headers", "columns"].includes(String(p[p.length - 1])))
    const name = rng.pick(injectionNames)
    if (renamable.length > 0 && rng.chance(0.3)) {
      const path = rng.pick(renamable)
      const entries = Object.entries(getAt(config, path) ?? {})
      const renamed: Record<string, Json> = {}
      entries.forEach(([k, v], i) => define(renamed, i === 0 ? name : k, v))
      return { config: setAt(config, path, renamed) ?? null, line: `key renamed to ${abbreviate(name)} at ${show(path)}`, kind: "injection" }
    }
    const path = rng.pick(orRoot(candidates))
    return { config: setAt(config, path, name) ?? null, line: `name ${abbreviate(name)} at ${show(path)}`, kind: "injection" }
  },
  (rng, config) => {
    const path = [...rng.pick(orRoot(objectPaths(config).filter((p) => p.length > 0))), rng.pick(numberKeys)]
    const v = rng.pick(strangeNumbers)
    return { config: setAt(config, path, v) ?? null, line: `number ${v} at ${show(path)}`, kind: "number" }
  },
  (rng, config) => {
    const path = rng.pick(innerPaths(config))
    return { config: setAt(config, path, undefined) ?? null, line: `deleted ${show(path)}`, kind: "delete" }
  },
  (rng, config) => {
    const resources = getAt(config, ["resources"])
    if (!Array.isArray(resources) || resources.length === 0) return { config, line: "no resources to duplicate", kind: "duplicate-resource" }
    const i = rng.int(0, resources.length - 1)
    return { config: setAt(config, ["resources", resources.length], resources[i]) ?? null, line: `resources[${i}] duplicated`, kind: "duplicate-resource" }
  },
  (rng, config) => {
    const path = rng.pick(innerPaths(config))
    const v = { secret: rng.pick(["ANALYTICS_API_KEY", "MISSING_SECRET_XYZ"]) }
    return { config: setAt(config, path, v) ?? null, line: `secret reference ${abbreviate(v)} at ${show(path)}`, kind: "secret-ref" }
  }
]

/** `count` mutants of `seed`, each from its own generator (so mutant `i` is the same whatever the count). */
export const mutants = (rng: Rng, seed: Json, count: number): ReadonlyArray<Mutant> =>
  Array.from({ length: count }, (_, id) => {
    const own = rng.fork()
    let config = seed
    const mutations: Array<string> = []
    const kinds = new Set<MutationKind>()
    for (let n = own.int(1, 3); n > 0; n--) {
      const step = steps[own.int(0, steps.length - 1)](own, config)
      config = step.config
      mutations.push(step.line)
      kinds.add(step.kind)
    }
    const text = JSON.stringify(config)
    // Nesting too deep for a recursive JSON.stringify (or a recursive check) is spliced into the text.
    if (!own.chance(0.04) || !text.includes("\"endpoint\":{")) return { id, text, mutations, kinds }
    const depth = own.pick([20_000, 200_000])
    const deep = own.chance(0.5) ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${"{\"a\":".repeat(depth)}1${"}".repeat(depth)}`
    mutations.push(`a json body nested ${depth} levels in the first endpoint`)
    kinds.add("deep")
    return { id, text: text.replace("\"endpoint\":{", `"endpoint":{"json":${deep},`), mutations, kinds }
  })
