/**
 * A loaded resource's writers: each page's records normalized into rows and handed to the
 * resource's load in the destination, and the commit at the end. With dlt's `table_name`
 * function, each record goes to the table it names, each table a load of its own, and they
 * all commit in one transaction.
 */
import { Effect, Either } from "effect"
import * as Scope from "effect/Scope"
import { Destination, type DestinationError, type LoadResult, type ResourceLoad } from "../load/destination.js"
import * as Naming from "../normalize/naming.js"
import * as Normalizer from "../normalize/normalizer.js"
import * as SchemaColumns from "../normalize/schemaColumns.js"
import { familyOf } from "../normalize/tableSchema.js"
import type { Counters, Resource, RunContext } from "./runContext.js"
import type { ResourceState } from "./resourceState.js"

export interface Writers {
  /** Adds records to the load (normalized at once, staged in bulk). */
  readonly write: (records: ReadonlyArray<unknown>) => Effect.Effect<void, Normalizer.NormalizeError | DestinationError>
  /** Commits every table of the resource with its state. */
  readonly finish: Effect.Effect<LoadResult, Normalizer.NormalizeError | DestinationError>
}

/** The stored tables of `root`'s tree: the root and the tables whose parents lead to it (names do not tell). */

export const openWriters = (
  context: RunContext,
  resource: Resource,
  table: string,
  counters: Counters,
  startedMillis: number,
  state: () => ResourceState | undefined
): Effect.Effect<Writers, DestinationError, Destination | Scope.Scope> =>
  Effect.gen(function*() {
    const destination = yield* Destination
    const { options } = context
    const column = (name: string) => Naming.shorten(name.split("__").map(Naming.normalizeIdentifier).join("__"))
    const primaryKey = resource.primaryKey.map(column)
    const hints = resource.columnHints.map((h) => ({ ...h, name: column(h.name) }))
    const dedupSort = hints.find((h) => h.dedupSort !== undefined)
    const hardDelete = hints.find((h) => h.hardDelete === true)
    const merge = resource.writeDisposition !== "merge" ? undefined : {
      strategy: resource.mergeStrategy,
      mergeKey: resource.mergeKey.map(column),
      dedupSort: dedupSort?.dedupSort === undefined ? undefined : { column: dedupSort.name, order: dedupSort.dedupSort },
      hardDelete: hardDelete?.name,
      scd2: resource.scd2 === undefined ? undefined : {
        validFrom: resource.scd2.validFrom === undefined ? undefined : column(resource.scd2.validFrom),
        validTo: resource.scd2.validTo === undefined ? undefined : column(resource.scd2.validTo),
        activeTo: resource.scd2.activeTo,
        boundary: resource.scd2.boundary
      }
    }
    const batchRows = options.batchRows

    /** The load of one root table: its normalizer, its staging, and records waiting for a batch. */
    const openTable = (rootTable: string, stagingKey?: string) =>
      Effect.gen(function*() {
        const declared = resource.schema === undefined
          ? undefined
          : SchemaColumns.tablesFromSchema(resource.schema, rootTable, { maxTableNesting: resource.maxTableNesting, primaryKey })
        const normalizer = Normalizer.make({
          rootTable,
          loadId: context.loadId,
          disposition: resource.writeDisposition,
          primaryKey,
          maxTableNesting: resource.maxTableNesting,
          knownTables: familyOf(rootTable, context.stored),
          declaredTables: declared,
          columnHints: hints,
          contract: resource.contract,
          rootId: resource.writeDisposition !== "merge" || resource.mergeStrategy !== "scd2"
            ? undefined
            : resource.scd2?.rowVersionColumn === undefined
            ? "content"
            : { column: column(resource.scd2.rowVersionColumn) }
        })
        const load: ResourceLoad = yield* destination.startLoad({
          dataset: options.dataset,
          resource: resource.name,
          loadId: context.loadId,
          rootTable,
          disposition: resource.writeDisposition,
          primaryKey,
          declaredTables: declared,
          merge,
          stagingKey,
          batchRows
        })
        // Record indexes within this table (error messages, `_rc_seq`).
        let written = 0
        let nulsSeen = 0
        // Each page is normalized as it arrives and handed to the load, which keeps the rows
        // (as COPY text on a server) until there are enough for one write to staging: records
        // held back for a bigger batch outlived young-generation GCs.
        const add = (records: ReadonlyArray<unknown>) =>
          Effect.suspend((): Effect.Effect<void, Normalizer.NormalizeError | DestinationError> => {
            if (records.length === 0) return Effect.void
            const batch = normalizer.normalize(records, written)
            if (Either.isLeft(batch)) return Effect.fail(batch.left)
            written += records.length
            counters.rows += records.length
            const nuls = normalizer.replacedNuls()
            if (nuls !== nulsSeen) {
              counters.replacedNuls += nuls - nulsSeen
              nulsSeen = nuls
            }
            return load.write(batch.right)
          })
        return { add, load }
      })
    type TableLoad = Effect.Effect.Success<ReturnType<typeof openTable>>

    // Children of many parent records write at once: one writer at a time per load. A
    // top-level resource is written from its one page stream, in order, so it needs no lock
    // (taking a semaphore is ~30 Effect operations, per page).
    const lock = yield* Effect.makeSemaphore(1)
    const exclusive = resource.parent === undefined
      ? <A, E, R>(effect: Effect.Effect<A, E, R>) => effect
      : lock.withPermits(1)
    // One transaction for every table of the resource (a `table_name` function's several), with
    // its `_rc_loads` row and state: all of it is visible, or none.
    const commitAll = (loads: ReadonlyArray<TableLoad>): Effect.Effect<LoadResult, DestinationError> =>
      loads.length === 0
        ? Effect.succeed({ loadId: context.loadId, resource: resource.name, rowsPerTable: {}, schemaVersion: undefined })
        : Effect.suspend(() =>
          destination.commitLoads(loads.map((t) => t.load), {
            startedAt: new Date(startedMillis),
            state: state(),
            commitKey: context.options.commitKey?.(resource.name)
          })
        )

    const route = resource.tableNameOf
    if (route === undefined) {
      const single = yield* openTable(table)
      const write = (records: ReadonlyArray<unknown>) => exclusive(single.add(records))
      const finish = exclusive(commitAll([single]))
      return { write, finish }
    }

    // dlt's `table_name` function: each record goes to the table it names, each table its own
    // load (its own staging), committed together.
    const scope = yield* Effect.scope
    const tables = new Map<string, TableLoad>()
    const routeError = (recordIndex: number, detail: string) =>
      new Normalizer.NormalizeError({
        message: `resource '${resource.name}', record ${recordIndex}: the table_name function ${detail}`,
        table,
        recordIndex
      })
    /** The page's records by the table the function names (plain code: it runs on every page). */
    const groupByTable = (records: ReadonlyArray<unknown>): Either.Either<Map<string, Array<unknown>>, Normalizer.NormalizeError> => {
      const groups = new Map<string, Array<unknown>>()
      for (let i = 0; i < records.length; i++) {
        let name: unknown
        try {
          name = route(records[i])
        } catch (e) {
          return Either.left(routeError(counters.rows + i, `threw: ${e instanceof Error ? e.message : String(e)}`))
        }
        if (typeof name !== "string" || name.trim() === "") {
          return Either.left(routeError(counters.rows + i, `returned ${JSON.stringify(name) ?? String(name)}, not a table name`))
        }
        if (Naming.isReservedTableName(name)) {
          return Either.left(routeError(counters.rows + i, `returned '${name}', a reserved name ('${Naming.ReservedPrefix}*' tables are ours)`))
        }
        const target = Naming.shorten(Naming.normalizeIdentifier(name))
        let group = groups.get(target)
        if (group === undefined) {
          group = []
          groups.set(target, group)
        }
        group.push(records[i])
      }
      return Either.right(groups)
    }
    const loadFor = (target: string): Effect.Effect<TableLoad, DestinationError> =>
      Effect.suspend(() => {
        const existing = tables.get(target)
        if (existing !== undefined) return Effect.succeed(existing)
        return openTable(target, `${resource.name}/${target}`).pipe(
          Effect.provideService(Scope.Scope, scope),
          Effect.tap((load) => Effect.sync(() => tables.set(target, load)))
        )
      })
    const write = (records: ReadonlyArray<unknown>) =>
      exclusive(Effect.suspend(() => {
        const grouped = groupByTable(records)
        if (Either.isLeft(grouped)) return Effect.fail(grouped.left)
        return Effect.forEach(grouped.right, ([target, group]) => Effect.flatMap(loadFor(target), (load) => load.add(group)), {
          discard: true
        })
      }))
    const finish = exclusive(Effect.suspend(() => commitAll([...tables.values()])))
    return { write, finish }
  })
