/**
 * What expression values mean, with Python's semantics and Jinja's leniency for missing data:
 * truthiness, equality, ordering and `in`. Values are JSON values; None is `null`.
 */
import type { CompareOp } from "./expressionAst.js"

export const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON has no `undefined`; a missing value is None. */
export const orNone = (u: unknown): unknown => (u === undefined ? null : u)

export const lookup = (record: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(record, key) ? orNone(record[key]) : null

/** Python type names, for error messages. */
export const typeName = (u: unknown): string =>
  u === null || u === undefined ? "None"
  : typeof u === "boolean" ? "bool"
  : typeof u === "number" ? (Number.isInteger(u) ? "int" : "float")
  : typeof u === "string" ? "str"
  : Array.isArray(u) ? "list"
  : isRecord(u) ? "dict"
  : typeof u

/** Python truthiness: None, False, 0, "", [] and {} are falsy. */
export const isTruthy = (value: unknown): boolean => {
  if (value === null || value === undefined) return false
  if (typeof value === "boolean") return value
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value)
  if (typeof value === "string") return value.length > 0
  if (Array.isArray(value)) return value.length > 0
  if (isRecord(value)) return Object.keys(value).length > 0
  return true
}

// Python treats bool as a subclass of int, so `True == 1` and `True < 2` work.
export const isNumeric = (u: unknown): u is number | boolean => typeof u === "number" || typeof u === "boolean"

/** Deep structural equality on JSON values (Python `==`). */
const equals = (a: unknown, b: unknown): boolean => {
  const x = orNone(a), y = orNone(b)
  if (x === null || y === null) return x === y
  if (isNumeric(x) && isNumeric(y)) return Number(x) === Number(y)
  if (typeof x === "string" || typeof y === "string") return x === y
  if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => equals(v, y[i]))
  if (isRecord(x) && isRecord(y)) {
    const keys = Object.keys(x)
    return keys.length === Object.keys(y).length && keys.every((k) => Object.hasOwn(y, k) && equals(x[k], y[k]))
  }
  return false
}

/** Thrown inside the evaluator and turned into an `ExpressionEvaluationError` by `evaluate`. */
export class EvalFailure {
  constructor(readonly message: string) {}
}
export const fail = (message: string): never => {
  throw new EvalFailure(message)
}

/** Python ordering: numbers with numbers, strings with strings, lists lexicographically. */
const order = (a: unknown, b: unknown, op: string): number => {
  if (isNumeric(a) && isNumeric(b)) return Number(a) - Number(b)
  // JS compares UTF-16 code units, Python code points; they differ only around astral characters.
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0
  if (Array.isArray(a) && Array.isArray(b)) {
    const i = a.findIndex((v, j) => j >= b.length || !equals(v, b[j]))
    if (i === -1 || i >= b.length) return a.length - b.length
    return order(a[i], b[i], op)
  }
  return fail(`'${op}' not supported between ${typeName(a)} and ${typeName(b)}`)
}

const contains = (container: unknown, item: unknown, op: string): boolean => {
  if (container === null || container === undefined) return false
  if (typeof container === "string") {
    return typeof item === "string"
      ? container.includes(item)
      : fail(`'${op} <str>' needs a string on the left, got ${typeName(item)}`)
  }
  if (Array.isArray(container)) return container.some((v) => equals(v, item))
  if (isRecord(container)) return typeof item === "string" && Object.hasOwn(container, item)
  return fail(`'${op}' needs a string, list or dict on the right, got ${typeName(container)}`)
}

export const compare = (op: CompareOp, a: unknown, b: unknown): boolean => {
  switch (op) {
    case "==": return equals(a, b)
    case "!=": return !equals(a, b)
    case "<": return order(a, b, op) < 0
    case "<=": return order(a, b, op) <= 0
    case ">": return order(a, b, op) > 0
    case ">=": return order(a, b, op) >= 0
    case "in": return contains(b, a, op)
    case "not in": return !contains(b, a, op)
    case "is": return orNone(a) === orNone(b)
    case "is not": return orNone(a) !== orNone(b)
  }
}
