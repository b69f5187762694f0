/** Small helpers every part of config resolution uses: issues collected, user functions called. */
import { Either, Schema } from "effect"
import { type ConfigIssue, issue } from "./configError.js"
import type { SecretString } from "./schema.js"
import type { SecretInput } from "./spec.js"

export const notSupported = (issues: Array<ConfigIssue>, path: string, what: string) =>
  issues.push(issue(path, `${what} is not supported yet (recognised, planned for a later version)`))

export const isFunction = (u: unknown): u is (...args: ReadonlyArray<never>) => unknown => typeof u === "function"

/** Calls a user function from the config with one argument. */
export const call1 = (f: (...args: ReadonlyArray<never>) => unknown) => (arg: unknown): unknown => Reflect.apply(f, undefined, [arg])

/** A parse result, or undefined with its error recorded at `path`: every problem is reported, not just the first. */
export const orIssue = <A>(
  parsed: Either.Either<A, { readonly message: string }>,
  path: string,
  issues: Array<ConfigIssue>
): A | undefined => {
  if (Either.isRight(parsed)) return parsed.right
  issues.push(issue(path, parsed.left.message))
  return undefined
}

export const isPlainObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) && !Schema.isSchema(u)

export const keyList = (key: string | ReadonlyArray<string> | undefined): ReadonlyArray<string> =>
  key === undefined ? [] : typeof key === "string" ? [key] : key

export const secret = (path: string, input: SecretString): SecretInput => ({ path, input })
