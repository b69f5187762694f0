/**
 * A small, safe expression language for manifest fields such as `stop_condition` and `cursor_value`:
 * the subset of Jinja/Python expression syntax that Airbyte manifests use, e.g.
 * `{{ response.get('hasNext', {}) == False }}`.
 *
 * It is parsed once when the config is decoded (typos and unknown names are config errors) and
 * evaluated by the tree-walking interpreter below: never `eval` / `new Function`.
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

export class ExpressionSyntaxError extends Data.TaggedError("ExpressionSyntaxError")<{
  readonly expression: string
  readonly message: string
  readonly position: number
}> {}

export class ExpressionEvaluationError extends Data.TaggedError("ExpressionEvaluationError")<{
  readonly expression: string
  readonly message: string
}> {}

/** Names in scope for `stop_condition` and `cursor_value`. */
export const PaginationNames: ReadonlyArray<string> = [
  "response",
  "headers",
  "last_page",
  "last_record",
  "last_page_size",
  "page_index"
]

export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" | "is" | "is not"

/** The parsed tree. `pos` is the offset of the node's first token (or operator) in the source. */
export type Node =
  | { readonly _tag: "Literal"; readonly pos: number; readonly value: unknown }
  | { readonly _tag: "List"; readonly pos: number; readonly items: ReadonlyArray<Node> }
  | { readonly _tag: "Dict"; readonly pos: number; readonly entries: ReadonlyArray<readonly [Node, Node]> }
  | { readonly _tag: "Name"; readonly pos: number; readonly name: string }
  | { readonly _tag: "Attribute"; readonly pos: number; readonly target: Node; readonly name: string }
  | { readonly _tag: "Subscript"; readonly pos: number; readonly target: Node; readonly index: Node }
  | { readonly _tag: "Get"; readonly pos: number; readonly target: Node; readonly key: Node; readonly fallback?: Node }
  | { readonly _tag: "Call"; readonly pos: number; readonly fn: string; readonly args: ReadonlyArray<Node> }
  | { readonly _tag: "Not"; readonly pos: number; readonly operand: Node }
  | { readonly _tag: "Negate"; readonly pos: number; readonly operand: Node }
  | { readonly _tag: "Logical"; readonly pos: number; readonly op: "and" | "or"; readonly left: Node; readonly right: Node }
  | {
    readonly _tag: "Compare"
    readonly pos: number
    readonly first: Node
    readonly rest: ReadonlyArray<{ readonly op: CompareOp; readonly pos: number; readonly right: Node }>
  }

export interface Expression {
  readonly source: string
  readonly ast: Node
}

// ---------------------------------------------------------------------------------------------
// Values

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON has no `undefined`; a missing value is None. */
const orNone = (u: unknown): unknown => (u === undefined ? null : u)

const lookup = (record: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(record, key) ? orNone(record[key]) : null

/** Python type names, for error messages. */
const typeName = (u: unknown): string =>
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
const isNumeric = (u: unknown): u is number | boolean => typeof u === "number" || typeof u === "boolean"

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

/** Thrown inside the interpreter and turned into an `ExpressionEvaluationError` by `evaluate`. */
class EvalFailure {
  constructor(readonly message: string) {}
}
const fail = (message: string): never => {
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

const compare = (op: CompareOp, a: unknown, b: unknown): boolean => {
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

// ---------------------------------------------------------------------------------------------
// Functions. To add one, add an entry: the parser checks the name and arity, the interpreter calls it.

interface Fn {
  readonly minArgs: number
  readonly maxArgs: number
  /** Fails by calling `fail(message)`. */
  readonly call: (args: ReadonlyArray<unknown>) => unknown
}

const Functions: Readonly<Record<string, Fn>> = {
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

// ---------------------------------------------------------------------------------------------
// Tokenizer

interface Token {
  readonly kind: "number" | "string" | "name" | "op" | "end"
  /** Raw source text (for messages). */
  readonly text: string
  /** Decoded value for numbers and strings. */
  readonly value: unknown
  readonly pos: number
}

/** Thrown inside the parser and turned into an `ExpressionSyntaxError` by `parse`. */
class SyntaxFailure {
  constructor(readonly message: string, readonly position: number) {}
}

const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y
const OPS = ["==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ".", "-"]
const HINTS: Readonly<Record<string, string>> = {
  "=": " (did you mean '=='?)",
  "!": " (use 'not')",
  "&": " (use 'and')",
  "|": " (filters are not supported)"
}
const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n", t: "\t", r: "\r", "0": "\0", b: "\b", f: "\f", v: "\v", "\\": "\\", "'": "'", "\"": "\"", "\n": ""
}

const tokenize = (source: string, start: number, end: number): Array<Token> => {
  const tokens: Array<Token> = []
  const match = (re: RegExp, at: number): string | undefined => {
    re.lastIndex = at
    const m = re.exec(source)
    return m !== null && at + m[0].length <= end ? m[0] : undefined
  }
  let i = start
  while (i < end) {
    const c = source[i]
    if (/\s/.test(c)) {
      i++
      continue
    }
    const number = match(NUMBER, i)
    const name = number === undefined ? match(NAME, i) : undefined
    if (number !== undefined) {
      tokens.push({ kind: "number", text: number, value: Number(number), pos: i })
      i += number.length
    } else if (name !== undefined) {
      tokens.push({ kind: "name", text: name, value: name, pos: i })
      i += name.length
    } else if (c === "'" || c === "\"") {
      let value = ""
      let j = i + 1
      for (; j < end && source[j] !== c; j++) {
        if (source[j] !== "\\") {
          value += source[j]
          continue
        }
        const e = source[++j]
        const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0
        if (hex > 0) {
          const digits = source.slice(j + 1, j + 1 + hex)
          if (digits.length !== hex || !/^[0-9a-fA-F]+$/.test(digits) || j + hex >= end) {
            throw new SyntaxFailure(`invalid \\${e} escape at ${j - 1}`, j - 1)
          }
          value += String.fromCodePoint(parseInt(digits, 16))
          j += hex
        } else if (e !== undefined && j < end) {
          // Python keeps unknown escapes as written: '\d' is backslash + d.
          value += ESCAPES[e] ?? "\\" + e
        }
      }
      if (j >= end) throw new SyntaxFailure(`unterminated string at ${i}`, i)
      tokens.push({ kind: "string", text: source.slice(i, j + 1), value, pos: i })
      i = j + 1
    } else {
      const op = OPS.find((o) => source.startsWith(o, i) && i + o.length <= end)
      if (op === undefined) throw new SyntaxFailure(`unexpected character '${c}' at ${i}${HINTS[c] ?? ""}`, i)
      tokens.push({ kind: "op", text: op, value: op, pos: i })
      i += op.length
    }
  }
  tokens.push({ kind: "end", text: "", value: undefined, pos: end })
  return tokens
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent, one function per precedence level (lowest first, as in Python):
// or < and < not < comparisons (in, is, ==, <, ...) < unary minus < postfix (. [] ()) < primary.

const LITERALS: Readonly<Record<string, unknown>> = {
  True: true, true: true, False: false, false: false, None: null, none: null, null: null
}
const KEYWORDS = new Set(["and", "or", "not", "in", "is", ...Object.keys(LITERALS)])
const COMPARE_OPS: ReadonlyArray<CompareOp> = ["==", "!=", "<", "<=", ">", ">="]
const MAX_DEPTH = 100 // keeps hostile input from overflowing the JS stack

class Parser {
  private i = 0
  private depth = 0
  constructor(private readonly tokens: ReadonlyArray<Token>, private readonly names: ReadonlyArray<string>) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]
  }
  private next(): Token {
    const t = this.peek()
    if (t.kind !== "end") this.i++
    return t
  }
  private is(kind: "op" | "name", text: string, offset = 0): boolean {
    const t = this.peek(offset)
    return t.kind === kind && t.text === text
  }
  private unexpected(t: Token): never {
    throw t.kind === "end"
      ? new SyntaxFailure(`unexpected end of expression at ${t.pos}`, t.pos)
      : new SyntaxFailure(`unexpected token ${t.kind === "string" ? t.text : `'${t.text}'`} at ${t.pos}`, t.pos)
  }
  private expect(op: string): Token {
    if (this.is("op", op)) return this.next()
    const t = this.peek()
    const found = t.kind === "end" ? "the end of the expression" : `'${t.text}'`
    throw new SyntaxFailure(`expected '${op}' but found ${found} at ${t.pos}`, t.pos)
  }
  private nested<A>(pos: number, f: () => A): A {
    if (++this.depth > MAX_DEPTH) throw new SyntaxFailure(`expression nested too deeply at ${pos}`, pos)
    const a = f()
    this.depth--
    return a
  }

  parseAll(): Node {
    const node = this.expression()
    if (this.peek().kind !== "end") this.unexpected(this.peek())
    return node
  }

  private expression(): Node {
    return this.nested(this.peek().pos, () => this.or())
  }

  private or(): Node {
    let left = this.and()
    while (this.is("name", "or")) {
      const pos = this.next().pos
      left = { _tag: "Logical", pos, op: "or", left, right: this.and() }
    }
    return left
  }

  private and(): Node {
    let left = this.not()
    while (this.is("name", "and")) {
      const pos = this.next().pos
      left = { _tag: "Logical", pos, op: "and", left, right: this.not() }
    }
    return left
  }

  private not(): Node {
    if (!this.is("name", "not")) return this.comparison()
    const pos = this.next().pos
    return this.nested(pos, () => ({ _tag: "Not", pos, operand: this.not() }))
  }

  private comparison(): Node {
    const first = this.unary()
    const rest: Array<{ op: CompareOp; pos: number; right: Node }> = []
    for (;;) {
      const t = this.peek()
      let op = t.kind === "op" ? COMPARE_OPS.find((o) => o === t.text) : undefined
      if (op !== undefined) {
        this.next()
      } else if (this.is("name", "in")) {
        op = "in"
        this.next()
      } else if (this.is("name", "not") && this.is("name", "in", 1)) {
        op = "not in"
        this.next(), this.next()
      } else if (this.is("name", "is")) {
        this.next()
        op = this.is("name", "not") ? (this.next(), "is not") : "is"
      } else break
      rest.push({ op, pos: t.pos, right: this.unary() })
    }
    return rest.length === 0 ? first : { _tag: "Compare", pos: first.pos, first, rest }
  }

  private unary(): Node {
    if (!this.is("op", "-")) return this.postfix()
    const pos = this.next().pos
    const operand = this.nested(pos, () => this.unary())
    // Fold `-5` into a literal so negative numbers are plain constants.
    return operand._tag === "Literal" && typeof operand.value === "number"
      ? { _tag: "Literal", pos, value: -operand.value }
      : { _tag: "Negate", pos, operand }
  }

  private postfix(): Node {
    let node = this.primary()
    for (;;) {
      if (this.is("op", ".")) {
        this.next()
        const t = this.next()
        if (t.kind !== "name" || KEYWORDS.has(t.text)) {
          throw new SyntaxFailure(`expected an attribute name after '.' at ${t.pos}`, t.pos)
        }
        if (!this.is("op", "(")) {
          node = { _tag: "Attribute", pos: t.pos, target: node, name: t.text }
          continue
        }
        if (t.text !== "get") throw new SyntaxFailure(`unknown method '${t.text}' at ${t.pos} (available: get)`, t.pos)
        const args = this.arguments("get()", 1, 2)
        node = { _tag: "Get", pos: t.pos, target: node, key: args[0], ...(args.length > 1 ? { fallback: args[1] } : {}) }
      } else if (this.is("op", "[")) {
        const pos = this.next().pos
        node = { _tag: "Subscript", pos, target: node, index: this.expression() }
        this.expect("]")
      } else if (this.is("op", "(")) {
        const pos = this.peek().pos
        const fns = Object.keys(Functions).join(", ")
        throw new SyntaxFailure(`only functions (${fns}) and .get() can be called, at ${pos}`, pos)
      } else return node
    }
  }

  /** `( a, b, )` with arity checked here so bad calls are config errors. */
  private arguments(what: string, min: number, max: number): Array<Node> {
    const open = this.expect("(")
    const args = this.sequence(")", () => this.expression())
    if (args.length < min || args.length > max) {
      const want = min === max ? `${min}` : `${min} or ${max}`
      throw new SyntaxFailure(
        `${what} takes ${want} argument${max === 1 ? "" : "s"}, got ${args.length} at ${open.pos}`,
        open.pos
      )
    }
    return args
  }

  /** Comma-separated items up to `close`; a trailing comma is allowed, as in Python. */
  private sequence<A>(close: string, item: () => A): Array<A> {
    const items: Array<A> = []
    while (!this.is("op", close)) {
      items.push(item())
      if (!this.is("op", ",")) break
      this.next()
    }
    this.expect(close)
    return items
  }

  private primary(): Node {
    const t = this.next()
    const pos = t.pos
    if (t.kind === "number" || t.kind === "string") return { _tag: "Literal", pos, value: t.value }
    if (t.kind === "op") {
      if (t.text === "(") {
        const node = this.expression()
        this.expect(")")
        return node
      }
      if (t.text === "[") return { _tag: "List", pos, items: this.nested(pos, () => this.sequence("]", () => this.expression())) }
      if (t.text === "{") {
        const entries = this.nested(pos, () =>
          this.sequence("}", () => {
            const key = this.expression()
            this.expect(":")
            return [key, this.expression()] as const
          }))
        return { _tag: "Dict", pos, entries }
      }
    }
    if (t.kind !== "name") return this.unexpected(t)
    if (Object.hasOwn(LITERALS, t.text)) return { _tag: "Literal", pos, value: LITERALS[t.text] }
    if (KEYWORDS.has(t.text)) return this.unexpected(t)
    if (this.names.includes(t.text)) return { _tag: "Name", pos, name: t.text }
    if (Object.hasOwn(Functions, t.text)) {
      const fn = Functions[t.text]
      if (!this.is("op", "(")) throw new SyntaxFailure(`'${t.text}' is a function; call it as ${t.text}(...) at ${pos}`, pos)
      return { _tag: "Call", pos, fn: t.text, args: this.arguments(`${t.text}()`, fn.minArgs, fn.maxArgs) }
    }
    throw new SyntaxFailure(`unknown name '${t.text}' at ${pos} (available: ${this.names.join(", ")})`, pos)
  }
}

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
    if (tokens[0].kind === "end") throw new SyntaxFailure(`empty expression at ${start}`, start)
    return Either.right({ source, ast: new Parser(tokens, names).parseAll() })
  } catch (e) {
    if (e instanceof SyntaxFailure) {
      return Either.left(new ExpressionSyntaxError({ expression: source, message: e.message, position: e.position }))
    }
    throw e
  }
}

// ---------------------------------------------------------------------------------------------
// Interpreter

const index = (target: unknown, key: unknown): unknown => {
  if (isRecord(target)) return typeof key === "string" ? lookup(target, key) : null
  if ((Array.isArray(target) || typeof target === "string") && typeof key === "number" && Number.isInteger(key)) {
    const i = key < 0 ? target.length + key : key
    return i >= 0 && i < target.length ? orNone(target[i]) : null
  }
  // Jinja's lenient undefined: a missing key, an index out of range or anything on None gives None.
  return null
}

const run = (node: Node, scope: Readonly<Record<string, unknown>>): unknown => {
  switch (node._tag) {
    case "Literal": return node.value
    case "List": return node.items.map((item) => run(item, scope))
    case "Dict": {
      // fromEntries defines own properties, so even a '__proto__' key is just a key.
      return Object.fromEntries(node.entries.map(([k, v]) => {
        const key = run(k, scope)
        return [typeof key === "string" ? key : fail(`dict keys must be strings, got ${typeName(key)} at ${k.pos}`), run(v, scope)]
      }))
    }
    case "Name": return lookup(scope, node.name)
    case "Attribute": return index(run(node.target, scope), node.name)
    case "Subscript": return index(run(node.target, scope), run(node.index, scope))
    case "Get": {
      const target = run(node.target, scope)
      const key = run(node.key, scope)
      const fallback = () => (node.fallback === undefined ? null : run(node.fallback, scope))
      if (target === null || target === undefined) return fallback()
      if (!isRecord(target)) return fail(`.get() needs a dict, got ${typeName(target)} at ${node.pos}`)
      return typeof key === "string" && Object.hasOwn(target, key) ? orNone(target[key]) : fallback()
    }
    case "Call": {
      const args = node.args.map((a) => run(a, scope))
      try {
        return Functions[node.fn].call(args)
      } catch (e) {
        throw e instanceof EvalFailure ? new EvalFailure(`${e.message} at ${node.pos}`) : e
      }
    }
    case "Not": return !isTruthy(run(node.operand, scope))
    case "Negate": {
      const v = run(node.operand, scope)
      return isNumeric(v) ? -Number(v) : fail(`bad operand for unary '-': ${typeName(v)} at ${node.pos}`)
    }
    case "Logical": {
      // Python semantics: short-circuit and return the deciding operand, not a boolean.
      const left = run(node.left, scope)
      return isTruthy(left) === (node.op === "or") ? left : run(node.right, scope)
    }
    case "Compare": {
      let left = run(node.first, scope)
      for (const { op, pos, right } of node.rest) {
        const r = run(right, scope)
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

/** Evaluates a parsed expression. Names missing from `scope` are None; None is returned as `null`. */
export const evaluate = (
  expression: Expression,
  scope: Readonly<Record<string, unknown>>
): Either.Either<unknown, ExpressionEvaluationError> => {
  try {
    return Either.right(run(expression.ast, scope))
  } catch (e) {
    if (e instanceof EvalFailure) {
      return Either.left(new ExpressionEvaluationError({ expression: expression.source, message: e.message }))
    }
    throw e
  }
}
