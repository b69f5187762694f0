/**
 * Params: `{params.NAME}` in any string of a config (base URL, paths, query params, headers,
 * bodies) is replaced by the value given for NAME (`submit --params NAME=value`), before the
 * config is decoded. One config then serves many tenants that differ in more than secrets
 * (an account id in the path, a region in the host). Params are not secrets: they show in
 * errors and in `status`; credentials belong in secrets.
 */
import { Either } from "effect"
import { type ConfigIssue, issue, joinPath } from "./configError.js"
import { isPlainData, MaxConfigDepth } from "./configDepth.js"

const reference = /\{params\.([A-Za-z_][A-Za-z0-9_]*)\}/g

/** `k=v,k2=v2` (the CLI's form); a value may hold `=` but not `,`. */
export const parseParams = (text: string): Either.Either<Readonly<Record<string, string>>, string> => {
  const params: Record<string, string> = {}
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue
    const at = pair.indexOf("=")
    const name = at < 0 ? "" : pair.slice(0, at).trim()
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return Either.left(`'${pair}' is not NAME=value (a name is letters, digits and _)`)
    params[name] = pair.slice(at + 1)
  }
  return Either.right(params)
}

/** A value that would read as a placeholder once substituted is refused, not silently mangled. */
const badValues = (params: Readonly<Record<string, string>>): ReadonlyArray<ConfigIssue> =>
  Object.entries(params).flatMap(([name, value]) =>
    /[{}]/.test(value) ? [issue(`params.${name}`, "a param's value cannot contain '{' or '}'")] : []
  )

/**
 * The config with every `{params.NAME}` filled in, or the issues: each reference to a param not
 * given, at its config path. Strings in plain objects and arrays only: a TypeScript config's
 * `Config` values, functions and class instances are left as they are. No deeper than a config
 * may nest: what is deeper stays as it is, for the depth check to report (and a cycle ends).
 */
export const applyParams = (
  input: unknown,
  params: Readonly<Record<string, string>>
): Either.Either<unknown, ReadonlyArray<ConfigIssue>> => {
  const issues: Array<ConfigIssue> = [...badValues(params)]
  const visit = (value: unknown, path: string, depth: number): unknown => {
    if (typeof value === "string") {
      if (!value.includes("{params.")) return value
      return value.replace(reference, (whole, name: string) => {
        const given = Object.hasOwn(params, name) ? params[name] : undefined
        if (given !== undefined) return given
        issues.push(issue(path, `{params.${name}} is not given (submit --params ${name}=...)`))
        return whole
      })
    }
    if (depth > MaxConfigDepth || !isPlainData(value)) return value
    if (Array.isArray(value)) return value.map((item, i) => visit(item, joinPath(path, i), depth + 1))
    const out: Record<string, unknown> = {}
    // defineProperty: an own `__proto__` key (JSON.parse makes one) stays a key for the
    // schema to refuse, instead of becoming the copy's prototype.
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, { value: visit(item, joinPath(path, key), depth + 1), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  const filled = visit(input, "", 0)
  return issues.length === 0 ? Either.right(filled) : Either.left(issues)
}
