/**
 * A fast path for decoding records with a Schema: compiles a Schema's AST (decoding direction)
 * into plain JavaScript closures that give exactly the value Effect's parser gives with
 * `{ onExcessProperty: "ignore" }` (same keys, same key order, same copies), for the common subset
 * of schemas (JSON-ish primitives, literals, structs without index signatures, arrays, unions,
 * refinements, `transform`-style transformations, declarations such as `DateFromSelf`).
 *
 * The decoders never produce an error message: on anything Effect would reject, or anything the
 * fast path is not sure about, they return {@link Miss} and the caller decodes with Effect's
 * Schema instead (which then produces the error). A schema with a part the compiler does not
 * support compiles to `undefined`, and the caller always uses Effect's Schema for it.
 *
 * Mirrors `effect/ParseResult` (3.22.x) `go` in the decoding direction:
 * - TypeLiteral: a new object; the property signatures' keys in AST order; an absent optional
 *   key is skipped; an absent required key is decoded as `input[name]` (usually `undefined`, so
 *   usually a failure: `exact` is off); excess keys are dropped. No index signatures.
 *   A TypeLiteral with no property and no index signature returns the input itself if not nullish.
 * - TupleType: only plain arrays (no elements, exactly one rest type): always a new array.
 * - Union: the same candidate order as Effect's (members with a required literal property are
 *   only tried if the input's value for that property matches, and before the other members);
 *   the first candidate that decodes wins. A union of literals is a set lookup.
 * - Refinement: decode `from`, then `filter(a, options, ast)` (`None` passes).
 * - Transformation with a FinalTransformation or ComposeTransformation: decode `from`,
 *   `transformation.decode(a, options, ast, input)` (only a synchronous `Either` result is used),
 *   then decode `to`. TypeLiteralTransformation (defaults, `fromKey`, ...) is not supported.
 * - Declaration: `decodeUnknown(...typeParameters)(input, options, ast)`, only an `Either` result.
 * - Keywords and literals as in Effect; TemplateLiteral and Suspend are not supported.
 * - Any node with a `parseOptions` or `decodingFallback` annotation is not supported.
 */
import { Either, Option, Schema as S, type Schema, SchemaAST } from "effect"
import { dateOf } from "./rfc3339Date.js"
import { unrolledStruct } from "./unrolledStruct.js"

/** Returned when the fast path cannot decide: decode with Effect's Schema instead. */
export const Miss: unique symbol = Symbol.for("effect-rest-connector/FastDecode/Miss")

/** Decodes one value; returns {@link Miss} when the value must be decoded by Effect's Schema instead. */
export type FastDecoder = (input: unknown) => unknown

/** The options the decoders reproduce; also what refinements, transformations and declarations receive. */
const OPTIONS: SchemaAST.ParseOptions = Object.freeze({ onExcessProperty: "ignore" })

type Rec = { readonly [key: PropertyKey]: unknown }

const hasOwn = Object.prototype.hasOwnProperty

/** `Predicate.isRecordOrArray` */
const isRecordOrArray = (u: unknown): u is Rec => typeof u === "object" && u !== null

/** `Predicate.isRecord` */
const isRecord = (u: unknown): u is Rec => typeof u === "object" && u !== null && !Array.isArray(u)

const passThrough: FastDecoder = (u) => u
const alwaysMiss: FastDecoder = () => Miss
const predicate = (p: (u: unknown) => boolean): FastDecoder => (u) => (p(u) ? u : Miss)

const isUnsupportedName = (name: PropertyKey): boolean =>
  typeof name !== "string" || name === "__proto__"

/** Compile-time failure: the schema (or a part of it) is not supported. */
class Unsupported {
  readonly _tag = "Unsupported"
}
const unsupported = new Unsupported()

/** Schema.DateFromString's transformation (annotated copies share it): `new Date(text)`, done faster by `dateOf`. */
const dateFromString = SchemaAST.isTransformation(S.DateFromString.ast) ? S.DateFromString.ast.transformation : undefined

const go = (ast: SchemaAST.AST): FastDecoder => {
  // goMemo: these annotations change how Effect parses the node.
  if (
    Option.isSome(SchemaAST.getParseOptionsAnnotation(ast)) ||
    Option.isSome(SchemaAST.getDecodingFallbackAnnotation(ast))
  ) {
    throw unsupported
  }
  switch (ast._tag) {
    case "StringKeyword":
      return (u) => (typeof u === "string" ? u : Miss)
    case "NumberKeyword":
      return (u) => (typeof u === "number" ? u : Miss)
    case "BooleanKeyword":
      return (u) => (typeof u === "boolean" ? u : Miss)
    case "BigIntKeyword":
      return (u) => (typeof u === "bigint" ? u : Miss)
    case "SymbolKeyword":
      return (u) => (typeof u === "symbol" ? u : Miss)
    case "UndefinedKeyword":
      return (u) => (u === undefined ? u : Miss)
    case "ObjectKeyword":
      return (u) => ((typeof u === "object" && u !== null) || typeof u === "function" ? u : Miss)
    case "UnknownKeyword":
    case "AnyKeyword":
    case "VoidKeyword":
      return passThrough
    case "NeverKeyword":
      return alwaysMiss
    case "Literal": {
      const literal = ast.literal
      return (u) => (u === literal ? u : Miss)
    }
    case "UniqueSymbol": {
      const symbol = ast.symbol
      return (u) => (u === symbol ? u : Miss)
    }
    case "Enums": {
      const values = ast.enums.map(([, value]) => value)
      const n = values.length
      return predicate((u) => {
        for (let i = 0; i < n; i++) if (values[i] === u) return true
        return false
      })
    }
    case "TupleType":
      return tupleType(ast)
    case "TypeLiteral":
      return typeLiteral(ast)
    case "Union":
      return union(ast)
    case "Refinement":
      return refinement(ast)
    case "Transformation":
      return transformation(ast)
    case "Declaration":
      return declaration(ast)
    case "TemplateLiteral":
    case "Suspend":
      throw unsupported
  }
}

const tupleType = (ast: SchemaAST.TupleType): FastDecoder => {
  if (ast.elements.length !== 0 || ast.rest.length !== 1) throw unsupported
  const item = go(ast.rest[0].type)
  return (input) => {
    if (!Array.isArray(input)) return Miss
    const len = input.length
    const out = new Array<unknown>(len)
    for (let i = 0; i < len; i++) {
      const v = item(input[i])
      if (v === Miss) return Miss
      out[i] = v
    }
    return out
  }
}

const typeLiteral = (ast: SchemaAST.TypeLiteral): FastDecoder => {
  if (ast.indexSignatures.length > 0) throw unsupported
  const signatures = ast.propertySignatures
  const n = signatures.length
  if (n === 0) return (u) => (u !== null && u !== undefined ? u : Miss)
  const names: Array<string> = []
  const optional: Array<boolean> = []
  const decoders: Array<FastDecoder> = []
  for (const ps of signatures) {
    const name = ps.name
    if (typeof name !== "string" || name === "__proto__") throw unsupported
    names.push(name)
    optional.push(ps.isOptional)
    decoders.push(go(ps.type))
  }
  return unrolledStruct(names, optional, decoders, { isRecord, Miss, hasOwn }) ?? ((input) => {
    if (!isRecord(input)) return Miss
    const out: { [key: string]: unknown } = {}
    for (let i = 0; i < n; i++) {
      const name = names[i]
      if (optional[i] && !hasOwn.call(input, name)) continue
      const v = decoders[i](input[name])
      if (v === Miss) return Miss
      out[name] = v
    }
    return out
  })
}

/** `ParseResult.getLiterals` (decoding direction). */
const getLiterals = (ast: SchemaAST.AST): Array<readonly [PropertyKey, SchemaAST.Literal]> => {
  switch (ast._tag) {
    case "Declaration": {
      const surrogate = SchemaAST.getSurrogateAnnotation(ast)
      if (Option.isSome(surrogate)) return getLiterals(surrogate.value)
      break
    }
    case "TypeLiteral": {
      const out: Array<readonly [PropertyKey, SchemaAST.Literal]> = []
      for (const ps of ast.propertySignatures) {
        const type = SchemaAST.encodedAST(ps.type)
        if (SchemaAST.isLiteral(type) && !ps.isOptional) out.push([ps.name, type])
      }
      return out
    }
    case "TupleType": {
      const out: Array<readonly [PropertyKey, SchemaAST.Literal]> = []
      for (let i = 0; i < ast.elements.length; i++) {
        const element = ast.elements[i]
        const type = SchemaAST.encodedAST(element.type)
        if (SchemaAST.isLiteral(type) && !element.isOptional) out.push([i, type])
      }
      return out
    }
    case "Refinement":
      return getLiterals(ast.from)
    case "Transformation":
      return getLiterals(ast.from)
    case "Suspend":
      throw unsupported
  }
  return []
}

const tryAll = (decoders: ReadonlyArray<FastDecoder>, input: unknown): unknown => {
  for (let i = 0; i < decoders.length; i++) {
    const v = decoders[i](input)
    if (v !== Miss) return v
  }
  return Miss
}

const union = (ast: SchemaAST.Union): FastDecoder => {
  const members = ast.types
  const decoderOf = new Map<SchemaAST.AST, FastDecoder>()
  for (const m of members) decoderOf.set(m, go(m))
  // A union of literals: a set lookup (Effect tries `u === literal` for each member in turn and
  // returns the input; a Set uses SameValueZero, which only differs from === on NaN).
  if (members.every(SchemaAST.isLiteral)) {
    const set = new Set<unknown>()
    for (const m of members) {
      if (SchemaAST.isLiteral(m) && !Number.isNaN(m.literal)) set.add(m.literal)
    }
    return (u) => (set.has(u) ? u : Miss)
  }
  const decode = (m: SchemaAST.AST): FastDecoder => {
    const d = decoderOf.get(m)
    if (d === undefined) throw unsupported
    return d
  }

  // ParseResult.getSearchTree, built the same way so that the candidates come in the same order.
  type Key = { buckets: Map<string, Array<SchemaAST.AST>> }
  const keys: { [key: PropertyKey]: Key } = {}
  const otherwise: Array<SchemaAST.AST> = []
  for (const member of members) {
    const tags = getLiterals(member)
    if (tags.length === 0) {
      otherwise.push(member)
      continue
    }
    for (let j = 0; j < tags.length; j++) {
      const [key, literal] = tags[j]
      // Effect stores these in plain objects: keep away from names that clash with Object.prototype.
      if (typeof key !== "number" && (isUnsupportedName(key) || key in Object.prototype)) throw unsupported
      const hash = String(literal.literal)
      if (hash === "__proto__") throw unsupported
      const entry: Key = keys[key] ?? (keys[key] = { buckets: new Map() })
      const bucket = entry.buckets.get(hash)
      if (bucket !== undefined) {
        if (j < tags.length - 1) continue
        bucket.push(member)
      } else {
        entry.buckets.set(hash, [member])
        break
      }
    }
  }
  const ownKeys = Reflect.ownKeys(keys)
  const otherwiseDecoders = otherwise.map(decode)
  if (ownKeys.length === 0) {
    if (otherwiseDecoders.length === 2) {
      const [a, b] = otherwiseDecoders
      return (input) => {
        const v = a(input)
        return v !== Miss ? v : b(input)
      }
    }
    return (input) => tryAll(otherwiseDecoders, input)
  }
  const keyNames: Array<PropertyKey> = []
  const keyBuckets: Array<Map<string, ReadonlyArray<FastDecoder>>> = []
  for (const name of ownKeys) {
    keyNames.push(name)
    const buckets = new Map<string, ReadonlyArray<FastDecoder>>()
    for (const [hash, bucket] of keys[name].buckets) buckets.set(hash, bucket.map(decode))
    keyBuckets.push(buckets)
  }
  const nKeys = keyNames.length
  return (input) => {
    if (isRecordOrArray(input)) {
      for (let i = 0; i < nKeys; i++) {
        const name = keyNames[i]
        if (hasOwn.call(input, name)) {
          const bucket = keyBuckets[i].get(String(input[name]))
          if (bucket !== undefined) {
            const v = tryAll(bucket, input)
            if (v !== Miss) return v
          }
        }
      }
    }
    return tryAll(otherwiseDecoders, input)
  }
}

const refinement = (ast: SchemaAST.Refinement): FastDecoder => {
  const from = go(ast.from)
  const filter = ast.filter
  return (input) => {
    const a = from(input)
    if (a === Miss) return Miss
    return Option.isNone(filter(a, OPTIONS, ast)) ? a : Miss
  }
}

const transformation = (ast: SchemaAST.Transformation): FastDecoder => {
  const kind = ast.transformation
  const from = go(ast.from)
  const to = go(ast.to)
  switch (kind._tag) {
    case "ComposeTransformation":
      return (input) => {
        const a = from(input)
        return a === Miss ? Miss : to(a)
      }
    case "FinalTransformation": {
      if (kind === dateFromString) {
        return (input) => {
          const a = from(input)
          return a === Miss || typeof a !== "string" ? Miss : to(dateOf(a))
        }
      }
      const decode = kind.decode
      return (input) => {
        const a = from(input)
        if (a === Miss) return Miss
        const r = decode(a, OPTIONS, ast, input)
        if (!Either.isEither(r) || Either.isLeft(r)) return Miss
        return to(r.right)
      }
    }
    case "TypeLiteralTransformation":
      throw unsupported
  }
}

const declaration = (ast: SchemaAST.Declaration): FastDecoder => {
  const parse = ast.decodeUnknown(...ast.typeParameters)
  return (input) => {
    const r = parse(input, OPTIONS, ast)
    if (!Either.isEither(r) || Either.isLeft(r)) return Miss
    return r.right
  }
}

const cache = new WeakMap<SchemaAST.AST, FastDecoder | null>()

/**
 * A decoder for one value of `schema` (decoding direction, as
 * `Schema.decodeUnknownEither(schema, { onExcessProperty: "ignore" })`), or `undefined` when the
 * schema has a part the fast path does not support. The decoder returns {@link Miss} when Effect
 * would fail or when it cannot decide; it never throws.
 */
export const compile = (schema: Schema.Schema.AnyNoContext): FastDecoder | undefined => {
  const ast = schema.ast
  const cached = cache.get(ast)
  if (cached !== undefined) return cached ?? undefined
  let decoder: FastDecoder | null
  try {
    const d = go(ast)
    decoder = (input) => {
      try {
        return d(input)
      } catch {
        return Miss
      }
    }
  } catch {
    // Unsupported, or building the parser threw (Effect's would most likely throw the same way).
    decoder = null
  }
  cache.set(ast, decoder)
  return decoder ?? undefined
}
