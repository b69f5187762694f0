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
  const seen = new Set<string>()
  const issues: Array<ConfigIssue> = []
  for (const i of deepest) {
    const message = i._tag === "Unexpected" ? `unknown key (${i.message.replace(/^is unexpected, /, "")})` : i.message
    const path = formatPath(i.path)
    const key = `${path}\u0000${message}`
    if (!seen.has(key)) {
      seen.add(key)
      issues.push({ path, message })
    }
  }
  return issues
}
