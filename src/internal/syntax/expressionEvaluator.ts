/** The tree-walking evaluator of parsed expressions: never `eval` / `new Function`. */
import type { Node } from "./expressionAst.js"
import { Functions } from "./expressionFunctions.js"
import { compare, EvalFailure, fail, isNumeric, isRecord, isTruthy, lookup, orNone, typeName } from "./expressionValues.js"

const index = (target: unknown, key: unknown): unknown => {
  if (isRecord(target)) return typeof key === "string" ? lookup(target, key) : null
  if ((Array.isArray(target) || typeof target === "string") && typeof key === "number" && Number.isInteger(key)) {
    const i = key < 0 ? target.length + key : key
    return i >= 0 && i < target.length ? orNone(target[i]) : null
  }
  // Jinja's lenient undefined: a missing key, an index out of range or anything on None gives None.
  return null
}

export const evaluateNode = (node: Node, scope: Readonly<Record<string, unknown>>): unknown => {
  switch (node._tag) {
    case "Literal": return node.value
    case "List": return node.items.map((item) => evaluateNode(item, scope))
    case "Dict": {
      // fromEntries defines own properties, so even a '__proto__' key is just a key.
      return Object.fromEntries(node.entries.map(([k, v]) => {
        const key = evaluateNode(k, scope)
        return [typeof key === "string" ? key : fail(`dict keys must be strings, got ${typeName(key)} at ${k.pos}`), evaluateNode(v, scope)]
      }))
    }
    case "Name": return lookup(scope, node.name)
    case "Attribute": return index(evaluateNode(node.target, scope), node.name)
    case "Subscript": return index(evaluateNode(node.target, scope), evaluateNode(node.index, scope))
    case "Get": {
      const target = evaluateNode(node.target, scope)
      const key = evaluateNode(node.key, scope)
      const fallback = () => (node.fallback === undefined ? null : evaluateNode(node.fallback, scope))
      if (target === null || target === undefined) return fallback()
      if (!isRecord(target)) return fail(`.get() needs a dict, got ${typeName(target)} at ${node.pos}`)
      return typeof key === "string" && Object.hasOwn(target, key) ? orNone(target[key]) : fallback()
    }
    case "Call": {
      const args = node.args.map((a) => evaluateNode(a, scope))
      try {
        return Functions[node.fn].call(args)
      } catch (e) {
        throw e instanceof EvalFailure ? new EvalFailure(`${e.message} at ${node.pos}`) : e
      }
    }
    case "Not": return !isTruthy(evaluateNode(node.operand, scope))
    case "Negate": {
      const v = evaluateNode(node.operand, scope)
      return isNumeric(v) ? -Number(v) : fail(`bad operand for unary '-': ${typeName(v)} at ${node.pos}`)
    }
    case "Logical": {
      // Python semantics: short-circuit and return the deciding operand, not a boolean.
      const left = evaluateNode(node.left, scope)
      return isTruthy(left) === (node.op === "or") ? left : evaluateNode(node.right, scope)
    }
    case "Compare": {
      let left = evaluateNode(node.first, scope)
      for (const { op, pos, right } of node.rest) {
        const r = evaluateNode(right, scope)
        try {
          if (!compare(op, left, r)) return false // chained: a < b < c means a < b and b < c
        } catch (e) {
          throw e instanceof EvalFailure ? new EvalFailure(`${e.message} at ${pos}`) : e
        }
        left = r
      }
      return true
    }
  }
}
