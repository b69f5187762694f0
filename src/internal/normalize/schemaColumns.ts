/**
 * An Effect Schema → the tables the normalizer will write for its records, with the types
 * fixed up front (DESIGN §4: "with a Schema, its types decide"). Walks the Type side of the
 * AST (what decoding produces) and lays tables out exactly as the Normalizer does: structs
 * flatten into `a__b`, arrays become child tables, past `maxTableNesting` values are jsonb.
 */
import { Option, Schema, SchemaAST } from "effect"
import { keyName, NameClaims, sourceIdOf } from "./nameClaims.js"
import { ListKey, PathSeparator, shorten, ValueColumn } from "./naming.js"
import type { ColumnSchema, DataType, TableSchema } from "./tableSchema.js"
import { childSystemColumns, rootSystemColumns } from "./tableSchema.js"

/** What one AST node holds once decoded, independent of names. */
type Shape =
  | { readonly _tag: "Scalar"; readonly type: DataType; readonly nullable: boolean }
  | { readonly _tag: "Object"; readonly props: ReadonlyArray<Prop>; readonly nullable: boolean }
  | { readonly _tag: "List"; readonly item: Shape; readonly nullable: boolean }
  /** Never holds a value (null, undefined, never): no column, as a column that only sees null. */
  | { readonly _tag: "Empty" }

interface Prop {
  readonly key: string
  readonly shape: Shape
  readonly optional: boolean
}

const empty: Shape = { _tag: "Empty" }
const scalar = (type: DataType, nullable = false): Shape => ({ _tag: "Scalar", type, nullable })

const withNullable = (shape: Shape): Shape => (shape._tag === "Empty" || shape.nullable ? shape : { ...shape, nullable: true })

const typeConstructorTag = (ast: SchemaAST.Annotated): string | undefined => {
  const annotation: unknown = ast.annotations[SchemaAST.TypeConstructorAnnotationId]
  if (typeof annotation === "object" && annotation !== null && "_tag" in annotation && typeof annotation._tag === "string") {
    return annotation._tag
  }
  return undefined
}

const isIntRefinement = (ast: SchemaAST.Refinement): boolean =>
  Option.getOrUndefined(SchemaAST.getSchemaIdAnnotation(ast)) === Schema.IntSchemaId ||
  Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(ast)) === "Int"

/** Type of a literal value (dlt: a number literal is a double, like any number). */
const literalType = (literal: SchemaAST.LiteralValue): DataType | undefined => {
  switch (typeof literal) {
    case "string":
      return "text"
    case "number":
      return "double"
    case "boolean":
      return "boolean"
    case "bigint":
      return "bigint"
    default:
      return undefined // null
  }
}

/** Merges the members of a union (null/undefined members make it nullable). */
const unionShape = (members: ReadonlyArray<Shape>, nullable: boolean): Shape => {
  const present = members.filter((m): m is Exclude<Shape, { _tag: "Empty" }> => m._tag !== "Empty")
  const isNullable = nullable || present.some((m) => m.nullable)
  if (present.length === 0) return empty
  if (present.every((m) => m._tag === "Scalar")) {
    const types = [...new Set(present.map((m) => (m._tag === "Scalar" ? m.type : "text")))]
    // Mixed numbers: double holds both. Other mixes: text holds them all (the normalizer
    // stores other scalars' text form there).
    if (types.length === 1) return scalar(types[0], isNullable)
    return scalar(types.every((t) => t === "bigint" || t === "double") ? "double" : "text", isNullable)
  }
  if (present.every((m) => m._tag === "Object")) {
    // Tagged unions: the columns of every member; a column missing from one member is optional.
    const props: Array<Prop> = []
    const byKey = new Map<string, Array<Prop>>()
    for (const m of present) {
      if (m._tag !== "Object") continue
      for (const p of m.props) {
        const seen = byKey.get(p.key)
        if (seen === undefined) byKey.set(p.key, [p])
        else seen.push(p)
      }
    }
    for (const [key, ps] of byKey) {
      const inAll = present.every((m) => m._tag === "Object" && m.props.some((p) => p.key === key))
      props.push({
        key,
        shape: ps.length === 1 ? ps[0].shape : unionShape(ps.map((p) => p.shape), false),
        optional: !inAll || ps.some((p) => p.optional)
      })
    }
    return { _tag: "Object", props, nullable: isNullable }
  }
  if (present.every((m) => m._tag === "List")) {
    return { _tag: "List", item: unionShape(present.map((m) => (m._tag === "List" ? m.item : empty)), false), nullable: isNullable }
  }
  // Objects or lists mixed with scalars: keep the value whole.
  return scalar("jsonb", isNullable)
}

const shapeOf = (ast: SchemaAST.AST, suspended: ReadonlySet<SchemaAST.Suspend>): Shape => {
  switch (ast._tag) {
    case "Transformation":
      return shapeOf(ast.to, suspended)
    case "Refinement":
      return isIntRefinement(ast) ? scalar("bigint") : shapeOf(ast.from, suspended)
    case "Suspend":
      // A recursive schema: the second time round, keep the value whole (as a list item:
      // leave it to inference, see placeList).
      if (suspended.has(ast)) return scalar("jsonb", true)
      return shapeOf(ast.f(), new Set([...suspended, ast]))
    case "StringKeyword":
    case "TemplateLiteral":
      return scalar("text")
    case "NumberKeyword":
      return scalar("double")
    case "BooleanKeyword":
      return scalar("boolean")
    case "BigIntKeyword":
      return scalar("bigint")
    case "Literal": {
      const type = literalType(ast.literal)
      return type === undefined ? empty : scalar(type)
    }
    case "Enums": {
      const values = ast.enums.map(([, v]) => v)
      if (values.every((v) => typeof v === "number")) {
        return scalar(values.every((v) => Number.isInteger(v)) ? "bigint" : "double")
      }
      return scalar("text")
    }
    case "UndefinedKeyword":
    case "VoidKeyword":
    case "NeverKeyword":
      return empty
    case "UnknownKeyword":
    case "AnyKeyword":
    case "ObjectKeyword":
      // Anything may come, including null.
      return scalar("jsonb", true)
    case "UniqueSymbol":
    case "SymbolKeyword":
      return empty // cannot be stored; the normalizer rejects such values
    case "Union": {
      let nullable = false
      const members: Array<Shape> = []
      for (const member of ast.types) {
        const shape = shapeOf(member, suspended)
        if (shape._tag === "Empty") nullable = true
        else members.push(shape)
      }
      return unionShape(members, nullable)
    }
    case "TypeLiteral": {
      const props: Array<Prop> = []
      for (const ps of ast.propertySignatures) {
        if (typeof ps.name !== "string") continue // symbol keys are not JSON
        props.push({ key: ps.name, shape: shapeOf(ps.type, suspended), optional: ps.isOptional })
      }
      // Index signatures (Schema.Record): keys are only known from the data; the normalizer infers them.
      return { _tag: "Object", props, nullable: false }
    }
    case "TupleType": {
      const items = [...ast.elements.map((e) => (e.isOptional ? withNullable(shapeOf(e.type, suspended)) : shapeOf(e.type, suspended))), ...ast.rest.map((r) => shapeOf(r.type, suspended))]
      return { _tag: "List", item: items.length === 0 ? empty : unionShape(items, false), nullable: false }
    }
    case "Declaration":
      return declarationShape(ast, suspended)
  }
}

const declarationShape = (ast: SchemaAST.Declaration, suspended: ReadonlySet<SchemaAST.Suspend>): Shape => {
  switch (typeConstructorTag(ast)) {
    case "Date":
    case "effect/DateTime.Utc":
    case "effect/DateTime.Zoned":
      return scalar("timestamptz")
    case "effect/BigDecimal":
      return scalar("numeric")
    case "Uint8Array":
      return scalar("binary")
    case "effect/Option":
      // The normalizer stores Some's value and drops None.
      return ast.typeParameters.length === 1 ? withNullable(shapeOf(ast.typeParameters[0], suspended)) : scalar("jsonb", true)
    case "effect/Chunk":
    case "ReadonlyArray":
    case "ReadonlySet":
    case "Set":
    case "effect/HashSet":
    case "effect/List":
      // Iterables are stored as lists.
      return ast.typeParameters.length === 1 ? { _tag: "List", item: shapeOf(ast.typeParameters[0], suspended), nullable: false } : scalar("jsonb", true)
  }
  // Schema.Class and friends: their fields, through the surrogate (a TypeLiteral).
  const surrogate = SchemaAST.getSurrogateAnnotation(ast)
  if (Option.isSome(surrogate)) return shapeOf(surrogate.value, suspended)
  return scalar("jsonb", true)
}

// ---------------------------------------------------------------------------------------------
// Laying shapes out as tables, mirroring the Normalizer's levels and names

interface TableBuilder {
  readonly name: string
  readonly parent: string | undefined
  readonly source: ReadonlyArray<string> | undefined
  readonly columns: Array<ColumnSchema>
  readonly names: Set<string>
  /** Names by source key, claimed in field order as the Normalizer claims them in key order. */
  readonly claims: NameClaims
}

/** Where a value sits: its table's path, its plain and claimed paths within the table, its source key. */
interface Spot {
  readonly tablePath: string
  readonly plain: string
  readonly claimed: string
  readonly source: ReadonlyArray<string>
}

/**
 * Tables (root first, then children in field order) for records decoded by `schema`. The
 * Normalizer honours them: their columns exist up front with these types.
 */
export const tablesFromSchema = (
  schema: Schema.Schema.AnyNoContext,
  rootTable: string,
  options?: { readonly maxTableNesting?: number | undefined; readonly primaryKey?: ReadonlyArray<string> | undefined }
): ReadonlyArray<TableSchema> => {
  const maxNesting = Math.max(0, options?.maxTableNesting ?? 1000)
  const primaryKey = new Set(options?.primaryKey ?? [])
  const builders: Array<TableBuilder> = []

  const newTable = (name: string, parent: string | undefined, source: ReadonlyArray<string> | undefined): TableBuilder => {
    const columns = [...(parent === undefined ? rootSystemColumns : childSystemColumns)]
    const builder: TableBuilder = { name, parent, source, columns, names: new Set(columns.map((c) => c.name)), claims: new NameClaims() }
    builders.push(builder)
    return builder
  }

  const addColumn = (table: TableBuilder, spot: Spot, type: DataType, nullable: boolean): void => {
    const name = shorten(spot.claimed)
    if (table.names.has(name)) return
    table.names.add(name)
    const isKey = table.parent === undefined && primaryKey.has(name)
    table.columns.push({ name, type, nullable: nullable && !isKey, source: spot.source })
  }

  /** The spot of raw `key` under `prefix` (plain path) of `table`, its name claimed as the Normalizer claims it. */
  const spotOf = (table: TableBuilder, tablePath: string, prefix: string, prefixSource: ReadonlyArray<string>, key: string): Spot => {
    const name = keyName(key)
    const plain = prefix === "" ? name : prefix + PathSeparator + name
    const source = [...prefixSource, key]
    return { tablePath, plain, claimed: table.claims.claim(sourceIdOf(source), plain), source }
  }

  /** One value at `spot` of `table`, at nesting `level`. */
  const place = (table: TableBuilder, spot: Spot, shape: Shape, nullable: boolean, level: number): void => {
    switch (shape._tag) {
      case "Empty":
        return
      case "Scalar":
        addColumn(table, spot, shape.type, nullable || shape.nullable)
        return
      case "Object":
        if (level >= maxNesting) addColumn(table, spot, "jsonb", true)
        else placeProps(table, spot.tablePath, spot.plain, spot.source, shape.props, nullable || shape.nullable, level + 1)
        return
      case "List":
        if (level >= maxNesting) addColumn(table, spot, "jsonb", true)
        else placeList(spot.tablePath + PathSeparator + spot.claimed, table.name, spot.source, shape.item, level + 1)
        return
    }
  }

  const placeProps = (
    table: TableBuilder,
    tablePath: string,
    prefix: string,
    prefixSource: ReadonlyArray<string>,
    props: ReadonlyArray<Prop>,
    nullable: boolean,
    level: number
  ): void => {
    for (const p of props) place(table, spotOf(table, tablePath, prefix, prefixSource, p.key), p.shape, nullable || p.optional, level)
  }

  /** A child table for a list (at `source` in the parent's row) whose items have `item` shape; `level` is the list's level. */
  const placeList = (tablePath: string, parent: string, source: ReadonlyArray<string>, item: Shape, level: number): void => {
    const table = newTable(shorten(tablePath), parent, source)
    switch (item._tag) {
      case "Empty":
        return
      case "Object":
        placeProps(table, tablePath, "", [], item.props, item.nullable, level)
        return
      case "List":
        // A list inside a list: the intermediate row holds `list` one level down (dlt).
        place(table, spotOf(table, tablePath, "", [], ListKey), item, true, level + 1)
        return
      case "Scalar":
        // Items of unknown shape (Unknown, mixed unions, recursion): the normalizer flattens
        // object items into columns and types scalars from the data, so declare nothing.
        if (item.type !== "jsonb") addColumn(table, spotOf(table, tablePath, "", [], ValueColumn), item.type, item.nullable)
        return
    }
  }

  const root = newTable(rootTable, undefined, undefined)
  const shape = shapeOf(schema.ast, new Set())
  if (shape._tag === "Object") placeProps(root, rootTable, "", [], shape.props, shape.nullable, 0)

  return builders.map((b) => ({ name: b.name, parent: b.parent, source: b.source, columns: b.columns }))
}
