/**
 * The expression parser: recursive descent, one function per precedence level (lowest first, as in
 * Python): or < and < not < comparisons (in, is, ==, <, ...) < unary minus < postfix (. [] ()) < primary.
 */
import type { CompareOp, Node } from "./expressionAst.js"
import { Functions } from "./expressionFunctions.js"
import { SyntaxFailure, type Token } from "./expressionTokenizer.js"

const LITERALS: Readonly<Record<string, unknown>> = {
  True: true, true: true, False: false, false: false, None: null, none: null, null: null
}
const KEYWORDS = new Set(["and", "or", "not", "in", "is", ...Object.keys(LITERALS)])
const COMPARE_OPS: ReadonlyArray<CompareOp> = ["==", "!=", "<", "<=", ">", ">="]
const MAX_DEPTH = 100 // keeps hostile input from overflowing the JS stack

export class Parser {
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
