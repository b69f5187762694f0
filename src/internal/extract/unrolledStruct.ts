/**
 * A struct decoder of the Schema fast path (fastDecode.ts) unrolled for its keys: `input["name"]`
 * loads and an object literal (or `out["name"]` stores) that V8 caches per struct, where a loop's
 * `input[name]` with ever-changing names is megamorphic (measured: decoding twice as fast).
 * The keys enter the generated source only as JSON string literals.
 */

type Decoder = (input: unknown) => unknown

/** What the generated code calls; passed in, so this module needs nothing of fastDecode's. */
export interface StructHelpers {
  readonly isRecord: (u: unknown) => boolean
  readonly Miss: symbol
  readonly hasOwn: (this: unknown, key: PropertyKey) => boolean
}

const isDecoder = (u: unknown): u is Decoder => typeof u === "function"

/**
 * The decoder of a struct with these keys (in order), optional flags and value decoders: the
 * same result as the loop in fastDecode.ts. Undefined where code cannot be generated
 * (`--disallow-code-generation-from-strings`); the caller keeps its loop then.
 */
export const unrolledStruct = (
  names: ReadonlyArray<string>,
  optional: ReadonlyArray<boolean>,
  decoders: ReadonlyArray<Decoder>,
  helpers: StructHelpers
): Decoder | undefined => {
  const key = (i: number) => JSON.stringify(names[i])
  const lines: Array<string> = ["if (!isRecord(input)) return Miss"]
  const anyOptional = optional.some((o) => o)
  if (anyOptional) lines.push("const out = {}")
  for (let i = 0; i < names.length; i++) {
    const decode = `const v${i} = d[${i}](input[${key(i)}]); if (v${i} === Miss) return Miss;`
    if (!anyOptional) lines.push(decode)
    else if (optional[i]) lines.push(`if (hasOwn.call(input, ${key(i)})) { ${decode} out[${key(i)}] = v${i} }`)
    else lines.push(`{ ${decode} out[${key(i)}] = v${i} }`)
  }
  lines.push(anyOptional ? "return out" : `return { ${names.map((_, i) => `${key(i)}: v${i}`).join(", ")} }`)
  try {
    const make: unknown = new Function("isRecord", "Miss", "hasOwn", "d", `return (input) => {\n${lines.join("\n")}\n}`)
    if (typeof make !== "function") return undefined
    const decoder: unknown = make(helpers.isRecord, helpers.Miss, helpers.hasOwn, decoders)
    return isDecoder(decoder) ? decoder : undefined
  } catch {
    return undefined
  }
}
