/** Splits an expression's source into tokens (numbers, strings, names, operators). */

export interface Token {
  readonly kind: "number" | "string" | "name" | "op" | "end"
  /** Raw source text (for messages). */
  readonly text: string
  /** Decoded value for numbers and strings. */
  readonly value: unknown
  readonly pos: number
}

/** Thrown inside the tokenizer and the parser, and turned into an `ExpressionSyntaxError` by `parse`. */
export class SyntaxFailure {
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

export const tokenize = (source: string, start: number, end: number): Array<Token> => {
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
