/**
 * Pipeline.run: extract → normalize → load, per resource. Pages stream through a small
 * buffer (the next page is fetched while the previous batch is written), records are
 * normalized in batches, rows go to staging, and `commit` makes a resource's rows visible
 * in one transaction. A failing resource does not undo the ones that committed.
 */
import type { HttpClient } from "@effect/platform"
import { Chunk, Clock, Data, Effect, Either, Stream } from "effect"
import type { ResolvedResource } from "../config/Resolve.js"
import type { Secret } from "../config/Secrets.js"
import { Destination, type DestinationError } from "../load/Destination.js"
import * as Naming from "../normalize/Naming.js"
import * as Normalizer from "../normalize/Normalizer.js"
import * as SchemaColumns from "../normalize/SchemaColumns.js"
import type { TableSchema } from "../normalize/TableSchema.js"
import type { RestApiSource, SourceError } from "../Source.js"
import * as Progress from "./Progress.js"

export interface RunOptions {
  /** Postgres schema to load into. */
  readonly dataset: string
  /** Only these resources (by name); default: every selected resource. */
  readonly resources?: ReadonlyArray<string> | undefined
  /** Resources loaded at the same time (default 3). */
  readonly concurrency?: number | undefined
  /** Records normalized and written per batch (default 5000). */
  readonly batchRows?: number | undefined
}

export type ResourceError = SourceError | Normalizer.NormalizeError | DestinationError

export interface ResourceLoadInfo {
  readonly resource: string
  readonly table: string
  readonly status: "committed" | "failed"
  /** Rows written per table (the root table and its child tables). */
  readonly rowsPerTable: Readonly<Record<string, number>>
  /** Records of the resource (rows of its root table). */
  readonly rows: number
  readonly pages: number
  readonly requests: number
  readonly retries: number
  readonly seconds: number
  readonly error?: ResourceError | undefined
}

export interface LoadInfo {
  readonly loadId: string
  readonly dataset: string
  readonly resources: ReadonlyArray<ResourceLoadInfo>
  readonly failed: boolean
}

export class UnknownResourceError extends Data.TaggedError("UnknownResourceError")<{
  readonly names: ReadonlyArray<string>
  readonly available: ReadonlyArray<string>
}> {
  override get message(): string {
    return `unknown resource(s) ${this.names.map((n) => `'${n}'`).join(", ")}; the config has ${this.available.join(", ")}`
  }
}

/** The table a resource loads into, as named in Postgres. */
export const tableNameOf = (resource: ResolvedResource<Secret>): string =>
  Naming.shorten(Naming.normalizeIdentifier(resource.tableName))

const belongsTo = (root: string) => (table: TableSchema) => table.name === root || table.name.startsWith(`${root}__`)

/** Loads every selected resource of a source into the dataset. */
export const run = (
  source: RestApiSource,
  options: RunOptions
): Effect.Effect<LoadInfo, UnknownResourceError | DestinationError, Destination | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const all = source.config.resources
    if (options.resources !== undefined) {
      const unknown = options.resources.filter((name) => !all.some((r) => r.name === name))
      if (unknown.length > 0) {
        return yield* Effect.fail(new UnknownResourceError({ names: unknown, available: all.map((r) => r.name) }))
      }
    }
    const chosen = all.filter((r) =>
      options.resources === undefined ? r.selected : options.resources.includes(r.name)
    )
    const now = yield* Clock.currentTimeMillis
    const loadId = (now / 1000).toFixed(6)
    const destination = yield* Destination
    const stored = yield* destination.storedTables(options.dataset)
    const results = yield* Effect.forEach(
      chosen,
      (resource) => loadResource(source, resource, { ...options, loadId, stored }),
      { concurrency: options.concurrency ?? 3 }
    )
    return { loadId, dataset: options.dataset, resources: results, failed: results.some((r) => r.status === "failed") }
  })

const loadResource = (
  source: RestApiSource,
  resource: ResolvedResource<Secret>,
  options: RunOptions & { readonly loadId: string; readonly stored: ReadonlyArray<TableSchema> }
): Effect.Effect<ResourceLoadInfo, never, Destination | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const startedMillis = yield* Clock.currentTimeMillis
    const table = tableNameOf(resource)
    const counters = { rows: 0, pages: 0, requests: 0, retries: 0 }
    const seconds = Effect.map(Clock.currentTimeMillis, (t) => (t - startedMillis) / 1000)
    const progress = (state: Progress.ResourceProgress["state"]) =>
      Effect.flatMap(seconds, (s) => Progress.report({ resource: resource.name, table, ...counters, seconds: s, state }))

    const work = Effect.scoped(
      Effect.gen(function*() {
        const destination = yield* Destination
        const primaryKey = resource.primaryKey.map(Naming.normalizeIdentifier)
        const declared = resource.schema === undefined
          ? undefined
          : SchemaColumns.tablesFromSchema(resource.schema, table, {
            maxTableNesting: resource.maxTableNesting,
            primaryKey
          })
        const normalizer = Normalizer.make({
          rootTable: table,
          loadId: options.loadId,
          disposition: resource.writeDisposition,
          primaryKey,
          maxTableNesting: resource.maxTableNesting,
          knownTables: options.stored.filter(belongsTo(table)),
          declaredTables: declared
        })
        const load = yield* destination.startLoad({
          dataset: options.dataset,
          resource: resource.name,
          loadId: options.loadId,
          rootTable: table,
          disposition: resource.writeDisposition,
          primaryKey,
          declaredTables: declared
        })
        yield* source.pages(resource).pipe(
          Stream.tap((page) => {
            counters.pages += 1
            counters.requests += page.attempts
            counters.retries += page.attempts - 1
            return progress("running")
          }),
          // Fetch ahead while the previous batch is being written.
          Stream.buffer({ capacity: 4 }),
          Stream.mapConcat((page) => page.records),
          Stream.grouped(options.batchRows ?? 1000),
          Stream.mapEffect((chunk): Effect.Effect<void, Normalizer.NormalizeError | DestinationError> => {
            const records = Chunk.toReadonlyArray(chunk)
            const batch = normalizer.normalize(records, counters.rows)
            if (Either.isLeft(batch)) return Effect.fail(batch.left)
            counters.rows += records.length
            return load.write(batch.right)
          }),
          Stream.runDrain
        )
        yield* progress("committing")
        const startedAt = new Date(startedMillis)
        return yield* load.commit({ startedAt })
      })
    )

    const outcome = yield* Effect.either(work)
    if (Either.isLeft(outcome) && outcome.left._tag === "ApiError") {
      // The failed page's attempts were requests too.
      counters.requests += outcome.left.attempts
      counters.retries += Math.max(0, outcome.left.attempts - 1)
    }
    const base = {
      resource: resource.name,
      table,
      rows: counters.rows,
      pages: counters.pages,
      requests: counters.requests,
      retries: counters.retries,
      seconds: yield* seconds
    }
    yield* progress(Either.isRight(outcome) ? "done" : "failed")
    return Either.match(outcome, {
      onLeft: (error): ResourceLoadInfo => ({ ...base, status: "failed", rowsPerTable: {}, error }),
      onRight: (result): ResourceLoadInfo => ({ ...base, status: "committed", rowsPerTable: result.rowsPerTable })
    })
  })
