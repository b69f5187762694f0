/** Config errors name the place in the config they come from: `resources[1].endpoint.paginator.type`. */
import { Data, ParseResult } from "effect"

export interface ConfigIssue {
  /** Path in the config dictionary, e.g. `resources[1].endpoint.paginator.type` ("" = the root). */
  readonly path: string
  readonly message: string
}

export class ConfigError extends Data.TaggedError("ConfigError")<{
  /** The config file, when the config came from one. */
  readonly file?: string | undefined
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message(): string {
    const where = this.file === undefined ? "" : ` in ${this.file}`
    const lines = this.issues.map((i) => `  ${i.path === "" ? "(config)" : i.path}: ${i.message}`)
    return `invalid config${where}:\n${lines.join("\n")}`
  }
}

export const issue = (path: string, message: string): ConfigIssue => ({ path, message })

/** Config keys whose value is a credential (auth fields, and headers that carry one). */
const secretKey = /(?:^|[.\["])(api_key|apikey|token|password|client_secret|access_token|refresh_token|secret|authorization|cookie|x-api-key|x-api-token|x-auth-token)"?\]?$/i

/**
 * An issue at a key that holds a credential never quotes the value: a YAML `api_key: 8675309123456`
 * is a number, not the string it was meant to be, and its digits are the secret.
 */
const hideSecret = (path: string, message: string): string => {
  if (!secretKey.test(path)) return message
  const found = /^(Expected .*), actual (.*)$/s.exec(message)
  if (found === null) return message
  const actual = found[2]
  const kind = /^-?\d/.test(actual) ? "a number (quote it, so YAML keeps it a string)" : actual.startsWith("\"") ? "a string" : "a value"
  return `${found[1]}, actual ${kind}; the value is not shown: this key holds a secret`
}

export const joinPath = (base: string, key: string | number): string => {
  if (typeof key === "number") return `${base}[${key}]`
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) return base === "" ? key : `${base}.${key}`
  return `${base}[${JSON.stringify(key)}]`
}

export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, key) => joinPath(acc, typeof key === "number" ? key : String(key)), "")

/**
 * Turns a Schema ParseError into issues. A union (e.g. `endpoint: string | {...}`) reports
 * one issue per member; the deepest ones say what is wrong, so an issue whose path is a
 * prefix of another issue's path is dropped.
 */
export const fromParseError = (error: ParseResult.ParseError): ReadonlyArray<ConfigIssue> => {
  const raw = ParseResult.ArrayFormatter.formatErrorSync(error)
  const deepest = raw.filter((candidate) =>
    !raw.some((other) =>
      other !== candidate &&
      other.path.length > candidate.path.length &&
      candidate.path.every((key, i) => other.path[i] === key)
    )
  )
  // Members of a union fail one by one at the same path ("Expected "a", actual "x"",
  // "Expected "b", actual "x""): say it once, with every expected value.
  const issues: Array<ConfigIssue> = []
  const expectedAt = new Map<string, { readonly index: number; readonly expected: Array<string>; readonly actual: string }>()
  for (const i of deepest) {
    const path = formatPath(i.path)
    const expected = /^Expected (.*), actual (.*)$/s.exec(i.message)
    if (i._tag === "Type" && expected !== null) {
      const known = expectedAt.get(path)
      if (known !== undefined && known.actual === expected[2]) {
        for (const e of expected[1].split(" | ")) if (!known.expected.includes(e)) known.expected.push(e)
        issues[known.index] = { path, message: `Expected ${known.expected.join(" | ")}, actual ${known.actual}` }
        continue
      }
      expectedAt.set(path, { index: issues.length, expected: expected[1].split(" | "), actual: expected[2] })
    }
    const message = i._tag === "Unexpected" ? `unknown key (${i.message.replace(/^is unexpected, /, "")})` : i.message
    if (!issues.some((x) => x.path === path && x.message === message)) issues.push({ path, message })
  }
  return issues.map((i) => ({ path: i.path, message: hideSecret(i.path, i.message) }))
}
