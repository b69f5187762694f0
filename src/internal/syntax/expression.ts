/**
 * A small, safe expression language for manifest fields such as `stop_condition` and `cursor_value`:
 * the subset of Jinja/Python expression syntax that Airbyte manifests use, e.g.
 * `{{ response.get('hasNext', {}) == False }}`.
 *
 * It is parsed once when the config is decoded (typos and unknown names are config errors) and
 * evaluated by a tree-walking interpreter: never `eval` / `new Function`.
 *
 * Semantics follow Python, with Jinja's leniency for missing data: reading a missing key (by
 * attribute or subscript) or anything from None gives None. Values are JSON values; None is `null`.
 * Choices where Python and Jinja differ, or where we had to pick:
 * - `True == 1` and `False == 0` are true, as in Python (booleans are numbers in comparisons).
 * - `x in None` is false (None usually stands for Jinja's undefined, which iterates as empty);
 *   `len(None)` and ordering comparisons with None are evaluation errors.
 * - `None.get(k, d)` returns `d` (lenient, like a missing key); `.get` on a list/string/number is an error.
 * - `is` / `is not` compare by identity of JSON values: None, True and False behave as in Python;
 *   numbers and strings compare by value; lists and dicts are only identical to themselves.
 * - Positions in error messages are 0-based offsets into the original string, `{{` included.
 */
import { Data, Either } from "effect"
import type { Expression } from "./expressionAst.js"
import { evaluateNode } from "./expressionEvaluator.js"
import { Parser } from "./expressionParser.js"
import { SyntaxFailure, tokenize } from "./expressionTokenizer.js"
import { EvalFailure } from "./expressionValues.js"

// The parts live beside this module: expressionAst (the tree), expressionValues (Python semantics),
// expressionFunctions (built-ins), expressionTokenizer, expressionParser and expressionEvaluator.
export type { CompareOp, Expression, Node } from "./expressionAst.js"
export { isTruthy } from "./expressionValues.js"

export class ExpressionSyntaxError extends Data.TaggedError("ExpressionSyntaxError")<{
  readonly expression: string
  readonly message: string
  readonly position: number
}> {}

export class ExpressionEvaluationError extends Data.TaggedError("ExpressionEvaluationError")<{
  readonly expression: string
  readonly message: string
}> {}

/**
 * Tokens an expression may hold. Real stop conditions have a few dozen; the cap keeps a hostile
 * one (thousands of `or` terms) from building a tree whose evaluation would overflow the stack.
 */
export const MaxExpressionTokens = 1000

/** Names in scope for `stop_condition` and `cursor_value`. */
export const PaginationNames: ReadonlyArray<string> = [
  "response",
  "headers",
  "last_page",
  "last_record",
  "last_page_size",
  "page_index"
]

/**
 * Parses `source`, either wrapped in `{{ ... }}` or bare. Only `names` (and the built-in functions)
 * may be referenced; anything else is a syntax error, so typos surface when the config is decoded.
 */
export const parse = (source: string, names: ReadonlyArray<string>): Either.Either<Expression, ExpressionSyntaxError> => {
  let start = source.length - source.trimStart().length
  let end = source.trimEnd().length
  if (end - start >= 4 && source.startsWith("{{", start) && source.endsWith("}}", end)) {
    start += 2
    end -= 2
  }
  try {
    const tokens = tokenize(source, start, end)
    if (tokens.length > MaxExpressionTokens) {
      throw new SyntaxFailure(`expression has ${tokens.length - 1} tokens; at most ${MaxExpressionTokens} are allowed`, start)
    }
    if (tokens[0].kind === "end") throw new SyntaxFailure(`empty expression at ${start}`, start)
    return Either.right({ source, ast: new Parser(tokens, names).parseAll() })
  } catch (e) {
    if (e instanceof SyntaxFailure) {
      return Either.left(new ExpressionSyntaxError({ expression: source, message: e.message, position: e.position }))
    }
    throw e
  }
}

/** Evaluates a parsed expression. Names missing from `scope` are None; None is returned as `null`. */
export const evaluate = (
  expression: Expression,
  scope: Readonly<Record<string, unknown>>
): Either.Either<unknown, ExpressionEvaluationError> => {
  try {
    return Either.right(evaluateNode(expression.ast, scope))
  } catch (e) {
    if (e instanceof EvalFailure) {
      return Either.left(new ExpressionEvaluationError({ expression: expression.source, message: e.message }))
    }
    throw e
  }
}
