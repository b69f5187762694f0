/**
 * Rows of one table as COPY text (`RowsEncoder`), encoded into pooled 256 KiB Buffers as they
 * are appended, so only bytes wait for the COPY; the buffers are reused (`ChunkPool`).
 */
import { ChunkEncoder, NEWLINE, slack, TAB } from "./chunkEncoder.js"
import type { ColumnKind } from "./copyText.js"

/**
 * Chunk buffers for reuse. A COPY's buffers go back once it has succeeded (then the server has
 * read every byte); without the pool each chunk is garbage that only a full GC frees, and
 * some 30 MB of them piled up outside the heap.
 */
export class ChunkPool {
  private readonly free: Array<Buffer> = []
  constructor(readonly chunkBytes: number, readonly max: number) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.chunkBytes + slack)
  }

  release(buffers: ReadonlyArray<Buffer>): void {
    for (const b of buffers) {
      if (this.free.length >= this.max) return
      // Grown buffers (one very long row) are left to the GC.
      if (b.length === this.chunkBytes + slack) this.free.push(b)
    }
  }

  /** Buffers waiting for reuse. */
  get available(): number {
    return this.free.length
  }
}

/** How `encodeRow` reads a row's columns. */
interface RowLayout {
  readonly columns: ReadonlyArray<string>
  readonly kinds: ReadonlyArray<ColumnKind>
  /** Columns that `Object.prototype` also has (`constructor`...): read as own properties only. */
  readonly inherited: ReadonlyArray<boolean>
  readonly careful: boolean
}

const layoutOf = (columns: ReadonlyArray<string>, kinds: ReadonlyArray<ColumnKind>): RowLayout => {
  const inherited = columns.map((c) => c in Object.prototype)
  return { columns, kinds, inherited, careful: inherited.some((b) => b) }
}

type RowWriter = (encoder: ChunkEncoder, row: Readonly<Record<string, unknown>>) => void

const isRowWriter = (u: unknown): u is RowWriter => typeof u === "function"

/**
 * `encodeRow` unrolled for one column list: each column read as `row["name"]`, a load that V8
 * caches per table (the loop's `row[column]` with ever-changing names was megamorphic: 8% of
 * encoding). The names enter the source only as JSON string literals. Undefined where code
 * cannot be generated (`--disallow-code-generation-from-strings`) or rows need own-property checks.
 */
const unrolled = (layout: RowLayout): RowWriter | undefined => {
  if (layout.careful) return undefined
  const body = layout.columns.map((c, i) => `${i > 0 ? "e.byte(9);" : ""}e.value(row[${JSON.stringify(c)}], ${JSON.stringify(layout.kinds[i])});`)
  try {
    const writer: unknown = new Function("e", "row", `${body.join("\n")}\ne.byte(10);`)
    return isRowWriter(writer) ? writer : undefined
  } catch {
    return undefined
  }
}

/** One row as a COPY text line. */
const encodeRow = (encoder: ChunkEncoder, row: Readonly<Record<string, unknown>>, layout: RowLayout): void => {
  const { columns, kinds } = layout
  const n = columns.length
  for (let i = 0; i < n; i++) {
    if (i > 0) encoder.byte(TAB)
    const column = columns[i]
    encoder.value(layout.careful && layout.inherited[i] && !Object.hasOwn(row, column) ? undefined : row[column], kinds[i])
  }
  encoder.byte(NEWLINE)
}

/**
 * Rows of one column list, encoded as they are appended (synchronously), waiting as bytes in
 * pooled chunks for one COPY. Row objects are not kept: a batch held as objects until its COPY
 * outlived young-generation GCs and was copied into the old generation.
 */
export class RowsEncoder {
  private readonly layout: RowLayout
  private readonly writer: RowWriter | undefined
  private readonly encoder: ChunkEncoder
  private readonly chunks: Array<Buffer> = []
  /** Every buffer taken from the pool, to give back. */
  private readonly acquired: Array<Buffer> = []
  private full = 0
  rows = 0

  constructor(
    readonly columns: ReadonlyArray<string>,
    kinds: ReadonlyArray<ColumnKind>,
    readonly chunkBytes: number,
    private readonly pool: ChunkPool
  ) {
    this.layout = layoutOf(columns, kinds)
    this.writer = unrolled(this.layout)
    this.encoder = new ChunkEncoder(chunkBytes, () => {
      const b = pool.acquire()
      this.acquired.push(b)
      return b
    })
  }

  /** Encodes the rows now; throws (with no data in the message) on a value JSON cannot hold. */
  append(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): void {
    const writer = this.writer
    for (let r = 0; r < rows.length; r++) {
      if (writer !== undefined) writer(this.encoder, rows[r])
      else encodeRow(this.encoder, rows[r], this.layout)
      if (this.encoder.pos >= this.chunkBytes) {
        const chunk = this.encoder.take()
        this.full += chunk.length
        this.chunks.push(chunk)
      }
    }
    this.rows += rows.length
  }

  /** Bytes encoded so far. */
  get bytes(): number {
    return this.full + this.encoder.pos
  }

  /** The chunks to send (the encoder is done with them). */
  take(): ReadonlyArray<Buffer> {
    if (this.encoder.pos > 0) {
      const chunk = this.encoder.take()
      this.full += chunk.length
      this.chunks.push(chunk)
    }
    return this.chunks
  }

  /** Gives the buffers back to the pool (once the server has read them). */
  release(): void {
    this.pool.release(this.acquired)
    this.acquired.length = 0
  }
}
