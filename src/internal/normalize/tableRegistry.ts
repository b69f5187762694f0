/**
 * The tables of one resource as the normalizer meets them: the root, child tables named from
 * their unshortened path (`<parent path>__<field>`, shortened to fit Postgres) and linked by
 * `parent`, and the tables stored or declared before this run. Parentage comes from those
 * links, never from name prefixes: a shortened child name need not start with its root's name.
 */
import { plainName, sourceIdOf } from "./nameClaims.js"
import { PathSeparator, shorten } from "./naming.js"
import type { TableSchema } from "./tableSchema.js"
import { descendsFrom, indexByName } from "./tableSchema.js"
import type { Field } from "./tableState.js"
import { TableState } from "./tableState.js"

export class TableGraph {
  private readonly byName = new Map<string, TableState>()
  /** Visible tables in the order they became visible. */
  private readonly order: Array<TableState> = []

  constructor(readonly rootTable: string) {}

  /**
   * Takes over the stored (`known`) and the Schema's (`declared`) tables: their columns keep
   * their types. Declared tables are shown up front; stored ones when they belong to this
   * resource, i.e. their parent links lead to the root (other resources' tables stay hidden).
   */
  adopt(known: ReadonlyArray<TableSchema>, declared: ReadonlyArray<TableSchema>): void {
    const byName = indexByName([...known, ...declared])
    for (const t of known) this.adoptOne(t, descendsFrom(t, this.rootTable, byName))
    for (const t of declared) this.adoptOne(t, true)
    const root = this.byName.get(this.rootTable)
    if (root !== undefined) this.adoptClaims(root, new Set())
  }

  private adoptOne(schema: TableSchema, visible: boolean): void {
    const isRoot = schema.name === this.rootTable
    let t = this.byName.get(schema.name)
    if (t === undefined) {
      // The stored name may be shortened; use it as the path too, until adoptClaims finds the
      // real one (or, with no source recorded, for good: children of a shortened table are then
      // named from that table's name, as in a fresh run that sees it first here).
      t = new TableState(schema.name, schema.name, isRoot ? undefined : schema.parent, isRoot, isRoot ? undefined : schema.source)
      this.byName.set(schema.name, t)
    } else if (!isRoot) {
      t.adoptParent(schema.parent, schema.source)
    }
    for (const c of schema.columns) if (!t.byName.has(c.name)) t.addColumn(c)
    t.ensureSystemColumns()
    t.preexisting = true
    t.created = true
    if (visible) this.show(t)
  }

  /**
   * The names `t` held before this run, claimed for their source keys first (nameClaims.ts):
   * its columns', and its child tables' (whose full paths follow from theirs), recursively.
   */
  private adoptClaims(t: TableState, seen: Set<TableState>): void {
    if (seen.has(t)) return
    seen.add(t)
    for (const c of t.columns) {
      if (c.source === undefined) continue
      t.claims.adopt(sourceIdOf(c.source), plainName(c.source), (name) => shorten(name) === c.name)
    }
    for (const child of this.byName.values()) {
      if (child.parent !== t.name || child.isRoot) continue
      if (child.source !== undefined) {
        const path = t.claims.adopt(
          sourceIdOf(child.source),
          plainName(child.source),
          (name) => shorten(t.fullPath + PathSeparator + name) === child.name
        )
        if (path !== undefined) child.fullPath = t.fullPath + PathSeparator + path
      }
      this.adoptClaims(child, seen)
    }
  }

  /** The resource's root table. */
  root(): TableState {
    return this.tableFor(this.rootTable, this.rootTable, undefined)
  }

  /** The child table of the list at `field` of `t`. */
  childTableOf(t: TableState, field: Field): TableState {
    if (field.child === undefined) {
      const fullPath = t.fullPath + PathSeparator + field.fullName
      field.child = this.tableFor(shorten(fullPath), fullPath, t.name, field.source)
    }
    return field.child
  }

  private tableFor(name: string, fullPath: string, parent: string | undefined, source?: ReadonlyArray<string>): TableState {
    let t = this.byName.get(name)
    if (t === undefined) {
      t = new TableState(name, fullPath, parent, parent === undefined, source)
      t.ensureSystemColumns()
      this.byName.set(name, t)
    } else {
      // A known/declared table met through its parent: now its real path and parent are known.
      t.fullPath = fullPath
      t.adoptParent(parent, source)
    }
    return t
  }

  /** Makes `t` part of `tables()` (it had rows, or was declared or stored for this resource). */
  show(t: TableState): void {
    if (!t.visible) {
      t.visible = true
      this.order.push(t)
    }
  }

  /** Every visible table, in the order they became visible. */
  tables(): ReadonlyArray<TableSchema> {
    return this.order.map((t) => t.schema())
  }
}
