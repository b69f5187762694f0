/**
 * How deep a config may nest. Real configs stay within a dozen levels; a hostile or broken one
 * (a `json` body or `params` nested thousands of levels) would otherwise exhaust the stack in
 * the recursive steps that follow. Checked first, without recursion, so every config gets a
 * clear error with its path instead of `RangeError: Maximum call stack size exceeded`.
 */
import { joinPath } from "./configError.js"

/** Levels of objects and lists a config may nest (the config itself is level 0). */
export const MaxConfigDepth = 64

/** Plain data: what JSON, YAML and object literals make. Anything else (Schemas, functions) is not walked. */
export const isPlainData = (u: unknown): u is Readonly<Record<string, unknown>> | ReadonlyArray<unknown> => {
  if (Array.isArray(u)) return true
  if (typeof u !== "object" || u === null) return false
  const proto: unknown = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/** Where the config first nests deeper than `max` levels (a shortened path), if it does. */
export const tooDeep = (input: unknown, max: number = MaxConfigDepth): string | undefined => {
  const stack: Array<{ readonly value: unknown; readonly depth: number; readonly path: string }> = [
    { value: input, depth: 0, path: "" }
  ]
  const seen = new Set<unknown>()
  while (stack.length > 0) {
    const next = stack.pop()
    if (next === undefined) break
    const { value, depth, path } = next
    if (!isPlainData(value) || seen.has(value)) continue
    seen.add(value)
    if (depth >= max) return path
    // Past a few levels, the path says where the nesting starts, not every step of it.
    const keep = depth < 8
    const children: ReadonlyArray<readonly [string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value)
    for (const [key, child] of children) stack.push({ value: child, depth: depth + 1, path: keep ? joinPath(path, key) : path })
  }
  return undefined
}
