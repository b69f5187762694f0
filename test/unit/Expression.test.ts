import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Expression from "../../src/internal/syntax/expression.js"

const names = Expression.PaginationNames

const parseOk = (source: string): Expression.Expression => {
  const parsed = Expression.parse(source, names)
  if (Either.isLeft(parsed)) throw new Error(`expected ${source} to parse: ${parsed.left.message}`)
  return parsed.right
}

/** Parses and evaluates, failing the test on any error. */
const ev = (source: string, scope: Record<string, unknown> = {}): unknown => {
  const result = Expression.evaluate(parseOk(source), scope)
  if (Either.isLeft(result)) throw new Error(`expected ${source} to evaluate: ${result.left.message}`)
  return result.right
}

const syntaxError = (source: string): Expression.ExpressionSyntaxError => {
  const parsed = Expression.parse(source, names)
  if (Either.isRight(parsed)) throw new Error(`expected ${source} not to parse`)
  return parsed.left
}

const evalError = (source: string, scope: Record<string, unknown> = {}): Expression.ExpressionEvaluationError => {
  const result = Expression.evaluate(parseOk(source), scope)
  if (Either.isRight(result)) throw new Error(`expected ${source} to fail, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe("Expression", () => {
  describe("the seed's stop_condition", () => {
    const seed = "{{ response.get('hasNext', {}) == False }}"
    it("stops when hasNext is false", () => expect(ev(seed, { response: { hasNext: false } })).toBe(true))
    it("goes on when hasNext is true", () => expect(ev(seed, { response: { hasNext: true } })).toBe(false))
    it("goes on when hasNext is missing ({} == False is false, as in Python)", () =>
      expect(ev(seed, { response: {} })).toBe(false))
  })

  describe("brief examples", () => {
    const scope = {
      response: { has_more: false, meta: { next_cursor: "abc" }, status: "done-ish" },
      headers: { "x-next": "p2" },
      last_page: [{ id: 1 }, { id: 2 }],
      last_record: { id: 2 },
      last_page_size: 2,
      page_index: 3
    }
    it.each([
      ["{{ not response['has_more'] }}", true],
      ["{{ last_record['id'] }}", 2],
      ["{{ len(last_page) < 50 }}", true],
      ["{{ headers.get('x-next') is None }}", false],
      ["{{ headers.get('x-other') is None }}", true],
      ["{{ headers.get('x-next') is not None }}", true],
      ["{{ response.meta.next_cursor }}", "abc"],
      ["{{ 'done' in response.status }}", true],
      ["{{ page_index >= 3 or last_page_size == 0 }}", true],
      ["{{ page_index >= 4 or last_page_size == 0 }}", false]
    ])("%s", (source, expected) => expect(ev(source, scope)).toEqual(expected))
  })

  describe("wrapping", () => {
    it("accepts {{ }} with or without inner whitespace, and surrounding whitespace", () => {
      expect(ev("{{1}}")).toBe(1)
      expect(ev("  {{   1 }}\n")).toBe(1)
    })
    it("accepts a bare expression", () => expect(ev("page_index == 2", { page_index: 2 })).toBe(true))
    it("keeps the source as written", () => expect(parseOk(" {{ 1 }} ").source).toBe(" {{ 1 }} "))
    it("handles nested dict braces inside the wrapper", () => {
      expect(ev("{{ {'a': {'b': 1}}}}")).toEqual({ a: { b: 1 } })
      expect(ev("{'a': {'b': 1}}")).toEqual({ a: { b: 1 } })
    })
  })

  describe("literals", () => {
    it("numbers", () => {
      expect(ev("42")).toBe(42)
      expect(ev("3.5")).toBe(3.5)
      expect(ev("1e3")).toBe(1000)
      expect(ev("-7")).toBe(-7)
      expect(ev("- 2.5")).toBe(-2.5)
      expect(ev("--1")).toBe(1)
    })
    it("strings in either quote", () => {
      expect(ev("'a b'")).toBe("a b")
      expect(ev("\"it's\"")).toBe("it's")
    })
    it("string escapes", () => {
      expect(ev(String.raw`'a\'b'`)).toBe("a'b")
      expect(ev(String.raw`"a\"b"`)).toBe("a\"b")
      expect(ev(String.raw`'\n\t\\'`)).toBe("\n\t\\")
      expect(ev(String.raw`'\x41\u00e9\U0001F600'`)).toBe("Aé😀")
      expect(ev(String.raw`'\d'`)).toBe("\\d") // unknown escapes are kept, as in Python
    })
    it("booleans and None, Python and Jinja spellings", () => {
      expect(ev("True")).toBe(true)
      expect(ev("true")).toBe(true)
      expect(ev("False")).toBe(false)
      expect(ev("false")).toBe(false)
      expect(ev("None")).toBe(null)
      expect(ev("none")).toBe(null)
      expect(ev("null")).toBe(null)
    })
    it("lists and dicts, with trailing commas", () => {
      expect(ev("[]")).toEqual([])
      expect(ev("[1, 'a', [None],]")).toEqual([1, "a", [null]])
      expect(ev("{}")).toEqual({})
      expect(ev("{'a': 1, \"b\": [2],}")).toEqual({ a: 1, b: [2] })
      expect(ev("{'__proto__': 1}")).toEqual(JSON.parse("{\"__proto__\": 1}"))
    })
  })

  describe("access", () => {
    const response = { data: [{ id: 1 }, { id: 2 }], meta: { next: null }, "with-dash": 5, text: "héllo" }
    it("attribute access reads dict keys", () => expect(ev("response.meta", { response })).toEqual({ next: null }))
    it("subscript with strings and (negative) integers", () => {
      expect(ev("response['with-dash']", { response })).toBe(5)
      expect(ev("response.data[0].id", { response })).toBe(1)
      expect(ev("response.data[-1]['id']", { response })).toBe(2)
      expect(ev("response.text[1]", { response })).toBe("é")
    })
    it("computed subscripts", () => expect(ev("response.data[page_index]", { response, page_index: 1 })).toEqual({ id: 2 }))
    it("missing keys, out-of-range indexes and access on None give None", () => {
      expect(ev("response.nope", { response })).toBe(null)
      expect(ev("response['nope']", { response })).toBe(null)
      expect(ev("response.nope.deeper['deepest'][0]", { response })).toBe(null)
      expect(ev("response.meta.next.cursor", { response })).toBe(null)
      expect(ev("response.data[5]", { response })).toBe(null)
      expect(ev("response.data['x']", { response })).toBe(null)
      expect(ev("response.constructor", { response })).toBe(null) // no prototype leaks
    })
    it("names absent from the scope are None", () => expect(ev("last_record is None", {})).toBe(true))
    it(".get with and without a default", () => {
      expect(ev("response.get('meta')", { response })).toEqual({ next: null })
      expect(ev("response.get('nope')", { response })).toBe(null)
      expect(ev("response.get('nope', 7)", { response })).toBe(7)
      expect(ev("response.meta.get('next', 7)", { response })).toBe(null) // present but null: no default
      expect(ev("response.nope.get('x', 7)", { response })).toBe(7) // on None: the default
      expect(ev("response.get('meta', {}).get('next') is None", { response })).toBe(true)
    })
    it("len of strings (code points), lists and dicts", () => {
      expect(ev("len('a😀')")).toBe(2)
      expect(ev("len(last_page)", { last_page: [1, 2, 3] })).toBe(3)
      expect(ev("len({'a': 1})")).toBe(1)
    })
  })

  describe("operators", () => {
    it("== is deep structural equality", () => {
      expect(ev("[1, {'a': [2]}] == [1, {'a': [2]}]")).toBe(true)
      expect(ev("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}")).toBe(true)
      expect(ev("{'a': 1} == {'a': 1, 'b': 2}")).toBe(false)
      expect(ev("[1] != [1, 2]")).toBe(true)
      expect(ev("'1' == 1")).toBe(false)
      expect(ev("None == False")).toBe(false)
      expect(ev("None == None")).toBe(true)
    })
    it("numbers compare across int/float and bool, as in Python", () => {
      expect(ev("1 == 1.0")).toBe(true)
      expect(ev("True == 1")).toBe(true)
      expect(ev("False == 0")).toBe(true)
      expect(ev("True < 2")).toBe(true)
    })
    it("ordering", () => {
      expect(ev("1 < 2")).toBe(true)
      expect(ev("2 <= 2")).toBe(true)
      expect(ev("3 > 2.5")).toBe(true)
      expect(ev("2 >= 3")).toBe(false)
      expect(ev("'abc' < 'abd'")).toBe(true)
      expect(ev("[1, 2] < [1, 3]")).toBe(true)
      expect(ev("[1, 2] < [1, 2, 0]")).toBe(true)
    })
    it("chained comparisons", () => {
      expect(ev("1 < page_index < 3", { page_index: 2 })).toBe(true)
      expect(ev("1 < page_index < 3", { page_index: 3 })).toBe(false)
      expect(ev("3 < 2 < None")).toBe(false) // short-circuits before the bad comparison
    })
    it("in / not in", () => {
      expect(ev("'ell' in 'hello'")).toBe(true)
      expect(ev("2 in [1, 2]")).toBe(true)
      expect(ev("{'a': 1} in [{'a': 1}]")).toBe(true)
      expect(ev("'a' in {'a': 1}")).toBe(true)
      expect(ev("'b' not in {'a': 1}")).toBe(true)
      expect(ev("3 not in [1, 2]")).toBe(true)
      expect(ev("'x' in response.missing", { response: {} })).toBe(false)
    })
    it("is / is not", () => {
      expect(ev("None is None")).toBe(true)
      expect(ev("False is False")).toBe(true)
      expect(ev("0 is False")).toBe(false)
      expect(ev("[] is []")).toBe(false)
      expect(ev("response.x is not None", { response: { x: 0 } })).toBe(true)
    })
    it("not", () => {
      expect(ev("not 0")).toBe(true)
      expect(ev("not not 'a'")).toBe(true)
      expect(ev("not 1 == 2")).toBe(true) // not binds looser than ==
    })
    it("and / or return operands and short-circuit", () => {
      expect(ev("0 or 'x'")).toBe("x")
      expect(ev("'a' or 'b'")).toBe("a")
      expect(ev("[] and 1")).toEqual([])
      expect(ev("1 and 'b'")).toBe("b")
      expect(ev("None or {}")).toEqual({})
      expect(ev("True or len(None)")).toBe(true)
      expect(ev("False and len(None)")).toBe(false)
    })
    it("precedence: and binds tighter than or; parentheses override", () => {
      expect(ev("True or False and False")).toBe(true)
      expect(ev("(True or False) and False")).toBe(false)
      expect(ev("-(1)")).toBe(-1)
      expect(ev("-page_index", { page_index: 2 })).toBe(-2)
    })
  })

  it("isTruthy follows Python", () => {
    for (const falsy of [null, undefined, false, 0, "", [], {}]) expect(Expression.isTruthy(falsy)).toBe(false)
    for (const truthy of [true, 1, -1, 0.5, "0", " ", [0], { a: null }]) expect(Expression.isTruthy(truthy)).toBe(true)
  })

  describe("syntax errors", () => {
    it.each([
      ["{{ response.get('a')) }}", "unexpected token ')' at 20", 20],
      ["{{ 'abc }}", "unterminated string at 3", 3],
      ["'abc", "unterminated string at 0", 0],
      ["1 +", "unexpected character '+' at 2", 2],
      ["a = 1", "unexpected character '=' at 2 (did you mean '=='?)", 2],
      ["response | length", "unexpected character '|' at 9 (filters are not supported)", 9],
      ["response ==", "unexpected end of expression at 11", 11],
      ["[1, 2", "expected ']' but found the end of the expression at 5", 5],
      ["{'a' 1}", "expected ':' but found '1' at 5", 5],
      ["response response", "unexpected token 'response' at 9", 9],
      ["1 'a'", "unexpected token 'a' at 2", 2],
      ["response.", "expected an attribute name after '.' at 9", 9],
      ["response.keys()", "unknown method 'keys' at 9 (available: get)", 9],
      ["response.get()", "get() takes 1 or 2 arguments, got 0 at 12", 12],
      ["len(1, 2)", "len() takes 1 argument, got 2 at 3", 3],
      ["len", "'len' is a function; call it as len(...) at 0", 0],
      ["response(1)", "only functions (len) and .get() can be called, at 8", 8],
      ["'\\x4'", "invalid \\x escape at 1", 1],
      ["{{ }}", "empty expression at 2", 2],
      ["", "empty expression at 0", 0],
      ["not", "unexpected end of expression at 3", 3],
      ["response and", "unexpected end of expression at 12", 12]
    ])("%s", (source, message, position) => {
      const error = syntaxError(source)
      expect(error._tag).toBe("ExpressionSyntaxError")
      expect(error.message).toBe(message)
      expect(error.position).toBe(position)
      expect(error.expression).toBe(source)
    })

    it("rejects unknown names, listing the available ones", () => {
      const error = syntaxError("{{ respons.get('x') }}")
      expect(error.message).toBe(
        "unknown name 'respons' at 3 (available: response, headers, last_page, last_record, last_page_size, page_index)"
      )
      expect(error.position).toBe(3)
    })

    it("only accepts the names it is given", () => {
      expect(Either.isRight(Expression.parse("item.id", ["item"]))).toBe(true)
      expect(Either.isLeft(Expression.parse("response", ["item"]))).toBe(true)
    })

    it("rejects absurd nesting instead of overflowing the stack", () => {
      expect(syntaxError("(".repeat(400) + "1" + ")".repeat(400)).message).toMatch(/nested too deeply/)
      expect(syntaxError("not ".repeat(400) + "1").message).toMatch(/nested too deeply/)
      expect(syntaxError("(".repeat(5000) + "1" + ")".repeat(5000)).message).toMatch(/at most 1000 are allowed/)
    })
  })

  describe("evaluation errors", () => {
    it.each([
      ["None < 1", "'<' not supported between None and int at 5"],
      ["response.missing >= 2", "'>=' not supported between None and int at 17"],
      ["'a' < 1", "'<' not supported between str and int at 4"],
      ["{} < {}", "'<' not supported between dict and dict at 3"],
      ["len(page_index)", "len() needs a string, list or dict, got int at 0"],
      ["len(None)", "len() needs a string, list or dict, got None at 0"],
      ["1 in 'abc'", "'in <str>' needs a string on the left, got int at 2"],
      ["1 in 5", "'in' needs a string, list or dict on the right, got int at 2"],
      ["last_page.get('a')", ".get() needs a dict, got list at 10"],
      ["-'a'", "bad operand for unary '-': str at 0"],
      ["{1: 2}", "dict keys must be strings, got int at 1"]
    ])("%s", (source, message) => {
      const error = evalError(source, { response: {}, page_index: 1, last_page: [] })
      expect(error._tag).toBe("ExpressionEvaluationError")
      expect(error.message).toBe(message)
      expect(error.expression).toBe(source)
    })
  })

  it("never evaluates JavaScript", () => {
    expect(syntaxError("constructor.constructor('return 1')()").message).toMatch(/unknown name 'constructor'/)
    expect(ev("response['constructor']", { response: {} })).toBe(null)
  })
})
