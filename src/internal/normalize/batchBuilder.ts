/**
 * Records into rows per table, one page at a time: a root row per record (system columns,
 * flattened data, then its id), then the rows of its lists, each linked to its parent row by
 * `_rc_parent_id` and ordered by `_rc_list_idx`, recursively. Under a non-evolve schema
 * contract a row may be dropped: what it added (columns, collected lists) is undone.
 */
import type { ContractGate } from "./contracts.js"
import { DropRow, NormalizeFailure } from "./failure.js"
import type { Flattener } from "./flattener.js"
import type { PendingLists } from "./pendingLists.js"
import type { RootIds } from "./rowIdentity.js"
import { absorb, childIdAt } from "./rowIdentity.js"
import type { TableGraph } from "./tableRegistry.js"
import type { Row, TableSchema } from "./tableSchema.js"
import { SystemColumns } from "./tableSchema.js"
import type { MutableRow, TableState } from "./tableState.js"

export interface NormalizedBatch {
  readonly tables: ReadonlyArray<TableSchema>
  readonly rows: ReadonlyMap<string, ReadonlyArray<Row>>
}

export class BatchBuilder {
  /** `_rc_seq` of the record being normalized (its child rows carry it too). */
  private seq = 0
  /** `_rc_id` of the root row being normalized (its child rows' `_rc_root_id`). */
  private rootId = ""
  /** Tables with rows in this batch. */
  private readonly touched: Array<TableState> = []

  constructor(
    private readonly graph: TableGraph,
    private readonly root: TableState,
    private readonly flattener: Flattener,
    private readonly lists: PendingLists,
    private readonly gate: ContractGate,
    private readonly rootIds: RootIds,
    private readonly loadId: string,
    /** Root columns that must hold a value in every record (`nullable: false` hints). */
    private readonly notNullHints: ReadonlyArray<string>
  ) {}

  /** Adds the rows of one record (already an object) at `index` within the resource. */
  addRecord(record: Record<string, unknown>, index: number): void {
    const root = this.root
    if (!root.created && !this.gate.admitTable(root)) return
    const row: MutableRow = {}
    row[SystemColumns.id] = ""
    row[SystemColumns.loadId] = this.loadId
    row[SystemColumns.seq] = index
    this.seq = index
    const start = this.lists.top
    if (!this.gate.strict) {
      this.flattener.flatten(root, root.node, record, row, 0)
    } else {
      const columnMark = root.columns.length
      try {
        this.flattener.flatten(root, root.node, record, row, 0)
      } catch (e) {
        if (e !== DropRow) throw e
        // The record is dropped; its lists were only collected, so no child row is orphaned.
        this.undoRow(root, columnMark, start)
        return
      }
    }
    const notNullHints = this.notNullHints
    for (let i = 0; i < notNullHints.length; i++) {
      const v = row[notNullHints[i]]
      if (v === undefined || v === null) {
        throw new NormalizeFailure({
          message: `column ${notNullHints[i]} is not nullable (columns hint) but the record has no value for it, or its value does not fit the column's type`,
          table: root.name,
          column: notNullHints[i]
        })
      }
    }
    const rootId = this.rootIds.idOf(row, root.name, root.byName)
    this.rootId = rootId
    row[SystemColumns.id] = rootId
    this.emit(root, row)
    if (this.lists.top > start) this.drainLists(root, start, rootId)
  }

  /** The batch so far (tables with rows, and their rows); the builder starts a new one. */
  collect(): NormalizedBatch {
    const tables: Array<TableSchema> = []
    const rows = new Map<string, ReadonlyArray<Row>>()
    for (const t of this.touched) {
      this.graph.show(t)
      tables.push(t.schema())
      rows.set(t.name, t.pending ?? [])
      t.pending = undefined
    }
    this.touched.length = 0
    this.lists.release()
    return { tables, rows }
  }

  /** Forgets the rows of a failed batch. */
  reset(): void {
    for (const t of this.touched) t.pending = undefined
    this.touched.length = 0
    this.lists.top = 0
    this.lists.release()
  }

  private emit(t: TableState, row: MutableRow): void {
    if (t.pending === undefined) {
      t.pending = []
      this.touched.push(t)
    }
    t.pending.push(row)
  }

  /** Emits the rows of the lists collected from pending[start..] (recursively). */
  private drainLists(t: TableState, start: number, parentId: string): void {
    const lists = this.lists
    const end = lists.top
    for (let p = start; p < end; p++) {
      const child = this.graph.childTableOf(t, lists.fields[p])
      this.addListRows(child, lists.values[p], lists.levels[p], parentId)
    }
    lists.top = start
  }

  private addListRows(child: TableState, items: ReadonlyArray<unknown>, level: number, parentId: string): void {
    // A table the contract keeps out: its rows (and so their own lists) are dropped.
    if (!child.created && !this.gate.admitTable(child)) return
    const lists = this.lists
    let rehash = false
    for (let idx = 0; idx < items.length; idx++) {
      const item = items[idx]
      // Nested lists absorb their own parent id, so redo ours after them.
      if (idx === 0 || rehash) {
        absorb(parentId)
        rehash = false
      }
      const id = childIdAt(child.idWord1, child.idWord2, idx)
      const row = this.childRow(id, parentId, idx)
      const start = lists.top
      if (!this.gate.strict) {
        this.flattener.fillChildRow(child, item, row, level)
      } else {
        const columnMark = child.columns.length
        try {
          this.flattener.fillChildRow(child, item, row, level)
        } catch (e) {
          if (e !== DropRow) throw e
          // dlt drops just this nested row (and, never emitted, its own lists); the parent stays.
          this.undoRow(child, columnMark, start)
          continue
        }
      }
      this.emit(child, row)
      if (lists.top > start) {
        this.drainLists(child, start, id)
        rehash = true
      }
    }
  }

  private childRow(id: string, parentId: string, idx: number): MutableRow {
    const row: MutableRow = {}
    row[SystemColumns.id] = id
    row[SystemColumns.parentId] = parentId
    row[SystemColumns.listIdx] = idx
    row[SystemColumns.rootId] = this.rootId
    row[SystemColumns.seq] = this.seq
    return row
  }

  /** Drops what a discarded row left behind: its pending lists and the columns it created. */
  private undoRow(t: TableState, columnMark: number, pendingMark: number): void {
    this.lists.top = pendingMark
    t.dropColumnsFrom(columnMark)
  }
}
