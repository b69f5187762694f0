/**
 * The built-in functions of the expression language. To add one, add an entry: the parser checks
 * the name and arity, the evaluator calls it.
 */
import { fail, isRecord, typeName } from "./expressionValues.js"

export interface Fn {
  readonly minArgs: number
  readonly maxArgs: number
  /** Fails by calling `fail(message)`. */
  readonly call: (args: ReadonlyArray<unknown>) => unknown
}

export const Functions: Readonly<Record<string, Fn>> = {
  len: {
    minArgs: 1,
    maxArgs: 1,
    call: ([x]) =>
      typeof x === "string" ? [...x].length // code points, like Python
      : Array.isArray(x) ? x.length
      : isRecord(x) ? Object.keys(x).length
      : fail(`len() needs a string, list or dict, got ${typeName(x)}`)
  }
}
