/**
 * Pipeline.run: extract → normalize → load.
 *
 * Resources form trees (a child's requests name its parent's fields). Each tree is streamed
 * once from its root: a root page's records go to the root's load and, for every record, to
 * its children's streams (several parent records at a time, bounded), and so on down. So a
 * parent is fetched once however many children it feeds. Each page is normalized as it arrives
 * and handed to its load, which stages rows in bulk (COPYs of ~1 MiB on a server); at the end
 * each resource's `commit` makes its rows, its `_rc_loads` row
 * and its incremental state visible in one transaction. A failing resource does not undo the
 * ones that committed; a failing child does not stop its parent.
 */
import { Clock, Data, Effect, Either, Option, Stream } from "effect"
import * as Scope from "effect/Scope"
import { formTemplates, type IncrementalSpec, type ResourceSpec } from "../config/spec.js"
import type { Secret } from "../config/secrets.js"
import * as Incremental from "../extract/incremental.js"
import { ExtractError, type ResourcePage, takeRecords } from "../extract/resource.js"
import * as Template from "../syntax/template.js"
import { ApiClient } from "../http/apiClient.js"
import { Destination, type DestinationError, type LoadResult, type ResourceLoad } from "../load/destination.js"
import * as Naming from "../normalize/naming.js"
import * as Normalizer from "../normalize/normalizer.js"
import * as SchemaColumns from "../normalize/schemaColumns.js"
import type { TableSchema } from "../normalize/tableSchema.js"
import type { RestApiSource, SourceError } from "../extract/source.js"
import * as Progress from "./progress.js"

export interface RunOptions {
  /** Postgres schema to load into. */
  readonly dataset: string
  /** Only these resources (by name); their parents are fetched too. Default: every selected resource. */
  readonly resources?: ReadonlyArray<string> | undefined
  /** Resource trees loaded at the same time (default 3). */
  readonly concurrency?: number | undefined
  /**
   * Rows per table that wait before they go to staging as one INSERT on the embedded database
   * (default 1000); a server's COPY waits for ~1 MiB of encoded rows. Pages are normalized as
   * they arrive either way.
   */
  readonly batchRows?: number | undefined
  /** Ignore stored incremental state and start over (the new state replaces it). */
  readonly fullRefresh?: boolean | undefined
}

export type ResourceError = SourceError | Normalizer.NormalizeError | DestinationError | ParentFailed

/** A child resource whose parent failed: its data would be incomplete, so it is not loaded. */
export class ParentFailed extends Data.TaggedError("ParentFailed")<{ readonly resource: string; readonly parent: string }> {
  override get message(): string {
    return `resource '${this.resource}' was not loaded because its parent '${this.parent}' failed`
  }
}

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
export const tableNameOf = (resource: { readonly tableName: string }): string =>
  Naming.shorten(Naming.normalizeIdentifier(resource.tableName))

const belongsTo = (root: string) => (table: TableSchema) => table.name === root || table.name.startsWith(`${root}__`)

type Resource = ResourceSpec<Secret>

/**
 * Loads every selected resource of a source into the dataset, over the ApiClient in context:
 * its client for this source serves the whole run, so resources share its token and budget.
 */
export const run = (
  source: RestApiSource,
  options: RunOptions
): Effect.Effect<LoadInfo, UnknownResourceError | DestinationError, Destination | ApiClient> =>
  Effect.gen(function*() {
    const all = source.spec.resources
    const byName = new Map(all.map((r) => [r.name, r]))
    if (options.resources !== undefined) {
      const unknown = options.resources.filter((name) => !byName.has(name))
      if (unknown.length > 0) {
        return yield* Effect.fail(new UnknownResourceError({ names: unknown, available: all.map((r) => r.name) }))
      }
    }
    const loaded = new Set(
      all.filter((r) => (options.resources === undefined ? r.selected : options.resources.includes(r.name))).map((r) => r.name)
    )
    // A loaded child needs its ancestors' records, loaded or not.
    const needed = new Set<string>()
    for (const name of loaded) {
      for (let r = byName.get(name); r !== undefined && !needed.has(r.name); r = r.parent === undefined ? undefined : byName.get(r.parent)) {
        needed.add(r.name)
      }
    }
    const roots = all.filter((r) => needed.has(r.name) && r.parent === undefined)
    const now = yield* Clock.currentTimeMillis
    const loadId = (now / 1000).toFixed(6)
    const destination = yield* Destination
    const stored = yield* destination.storedTables(options.dataset)
    // Looked up once: progress is reported on every page.
    const progress = yield* Effect.serviceOption(Progress.Progress)
    const clock = yield* Effect.clock
    const report = (node: Node, state: Progress.ResourceProgress["state"]): Effect.Effect<void> =>
      Option.isNone(progress) ? Effect.void : Effect.suspend(() =>
        progress.value.report({
          resource: node.resource.name,
          table: node.table,
          ...node.counters,
          seconds: (clock.unsafeCurrentTimeMillis() - node.startedMillis) / 1000,
          state
        })
      )
    const context: RunContext = { source, options, loadId, stored, loaded, needed, byName, report }
    const results = yield* Effect.forEach(roots, (root) => loadTree(context, root), { concurrency: options.concurrency ?? 3 })
    const infos = results.flat()
    return { loadId, dataset: options.dataset, resources: infos, failed: infos.some((r) => r.status === "failed") }
  })

interface RunContext {
  readonly source: RestApiSource
  readonly options: RunOptions
  readonly loadId: string
  readonly stored: ReadonlyArray<TableSchema>
  readonly loaded: ReadonlySet<string>
  readonly needed: ReadonlySet<string>
  readonly byName: ReadonlyMap<string, Resource>
  /** Reports a resource's progress (nothing when no Progress service is provided). */
  readonly report: (node: Node, state: Progress.ResourceProgress["state"]) => Effect.Effect<void>
}

interface Counters {
  rows: number
  pages: number
  requests: number
  retries: number
}

/** Stored `_rc_state` of a resource: its incremental cursor, or one per parent record for a child. */
interface ResourceState {
  readonly incremental?: Incremental.IncrementalState | undefined
  readonly perParent?: Readonly<Record<string, Incremental.IncrementalState>> | undefined
}

const readState = (u: unknown): ResourceState => {
  if (typeof u !== "object" || u === null) return {}
  const incremental = "incremental" in u ? Incremental.parseState(u.incremental) : undefined
  const perParent: Record<string, Incremental.IncrementalState> = {}
  if ("perParent" in u && typeof u.perParent === "object" && u.perParent !== null) {
    for (const [key, value] of Object.entries(u.perParent)) {
      const state = Incremental.parseState(value)
      if (state !== undefined) perParent[key] = state
    }
  }
  return { incremental, perParent }
}

/** A resource's part in a tree run. */
interface Node {
  readonly resource: Resource
  readonly table: string
  readonly counters: Counters
  readonly startedMillis: number
  readonly children: ReadonlyArray<Node>
  /** Adds records to the load (undefined when the resource only feeds its children). */
  readonly write: ((records: ReadonlyArray<unknown>) => Effect.Effect<void, Normalizer.NormalizeError | DestinationError>) | undefined
  readonly finish: Effect.Effect<LoadResult, Normalizer.NormalizeError | DestinationError> | undefined
  /** The incremental run for a top-level resource, or one per parent record for a child. */
  readonly incrementalFor: (parent: unknown) => Incremental.IncrementalRun | undefined
  /** A top-level resource's runs: one, or one per window of a windowed cursor. */
  readonly rootRuns: Effect.Effect<ReadonlyArray<Incremental.IncrementalRun | undefined>, ExtractError>
  readonly state: () => ResourceState | undefined
  failure: ResourceError | undefined
}

/** The key of a parent record for a child's per-parent cursor: the parent fields its requests use. */
const parentKey = (resource: Resource, record: unknown): string => {
  const fields = new Set<string>()
  const add = (t: Template.Template) => {
    for (const p of Template.placeholders(t)) if (p._tag === "Parent") fields.add(p.field.source)
  }
  add(resource.path)
  for (const v of [...Object.values(resource.params), ...Object.values(resource.headers)]) if (v._tag === "Template") add(v.template)
  if (resource.json !== undefined) {
    for (const p of Template.jsonPlaceholders(resource.json)) if (p._tag === "Parent") fields.add(p.field.source)
  }
  for (const t of formTemplates(resource.form)) add(t)
  const values = [...fields].sort().map((f) => [f, typeof record === "object" && record !== null ? Reflect.get(record, f) : undefined])
  return JSON.stringify(values)
}

/** dlt's `convert` changes the values put into requests, not the cursor kept in state. */
const converted = (run: Incremental.IncrementalRun, spec: IncrementalSpec): Incremental.IncrementalRun => {
  const convert = spec.convert
  if (convert === undefined) return run
  const p = run.placeholders
  return {
    ...run,
    placeholders: {
      start_value: convert(p.start_value),
      initial_value: convert(p.initial_value),
      last_value: convert(p.last_value),
      end_value: convert(p.end_value)
    }
  }
}

const makeNode = (
  context: RunContext,
  resource: Resource
): Effect.Effect<Node, DestinationError, Destination | Scope.Scope> =>
  Effect.gen(function*() {
    const destination = yield* Destination
    const { options } = context
    const table = tableNameOf(resource)
    const counters: Counters = { rows: 0, pages: 0, requests: 0, retries: 0 }
    const startedMillis = yield* Clock.currentTimeMillis
    const children: Array<Node> = []
    for (const child of context.byName.values()) {
      if (child.parent === resource.name && context.needed.has(child.name)) children.push(yield* makeNode(context, child))
    }

    // Incremental state: one cursor for a top-level resource, one per parent record for a child.
    const stored = resource.incremental === undefined || options.fullRefresh === true
      ? {}
      : readState(yield* destination.loadState(options.dataset, resource.name))
    const spec = resource.incremental
    const topRaw = spec === undefined || resource.parent !== undefined ? undefined : Incremental.start(spec, stored.incremental)
    const topRun = spec === undefined || topRaw === undefined ? undefined : converted(topRaw, spec)
    // A windowed top-level cursor requests its range window by window; the runs share the
    // record filter and the state, so the cursor moves on across all of them.
    const rootRuns = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (spec?.window === undefined || topRaw === undefined) return Effect.succeed([topRun])
      const p = topRaw.placeholders
      return Either.match(Incremental.windows(p.start_value, p.end_value, spec.window, now), {
        onLeft: (e) => Effect.fail(new ExtractError({ reason: "Incremental", resource: resource.name, url: "", page: 0, detail: e.message })),
        onRight: (windows) =>
          Effect.succeed(windows.map(([from, to]) =>
            converted({ ...topRaw, placeholders: { ...p, start_value: from, last_value: from, end_value: to } }, spec)
          ))
      })
    })
    const perParent: Record<string, Incremental.IncrementalState> = { ...stored.perParent }
    const runs: Array<readonly [string, Incremental.IncrementalRun]> = []
    const incrementalFor = (parent: unknown): Incremental.IncrementalRun | undefined => {
      if (spec === undefined) return undefined
      if (resource.parent === undefined) return topRun
      const key = parentKey(resource, parent)
      const childRun = converted(Incremental.start(spec, perParent[key]), spec)
      runs.push([key, childRun])
      return childRun
    }
    const state = (): ResourceState | undefined => {
      if (spec === undefined) return undefined
      if (resource.parent === undefined) {
        const s = topRun?.state()
        return s === undefined ? undefined : { incremental: s }
      }
      const next: Record<string, Incremental.IncrementalState> = { ...perParent }
      for (const [key, r] of runs) {
        const s = r.state()
        if (s !== undefined) next[key] = s
      }
      return { perParent: next }
    }

    if (!context.loaded.has(resource.name)) {
      return { resource, table, counters, startedMillis, children, write: undefined, finish: undefined, incrementalFor, rootRuns, state, failure: undefined }
    }
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
          knownTables: context.stored.filter(belongsTo(rootTable)),
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
    const commitAll = (loads: ReadonlyArray<TableLoad>) =>
      Effect.gen(function*() {
        const rowsPerTable: Record<string, number> = {}
        let schemaVersion: string | undefined
        for (let i = 0; i < loads.length; i++) {
          // The incremental state goes with the last table's commit: if an earlier one fails,
          // the state has not moved on and the next run fetches those records again.
          const last = i === loads.length - 1
          const result = yield* loads[i].load.commit({ startedAt: new Date(startedMillis), state: last ? state() : undefined })
          Object.assign(rowsPerTable, result.rowsPerTable)
          schemaVersion = result.schemaVersion
        }
        const result: LoadResult = { loadId: context.loadId, resource: resource.name, rowsPerTable, schemaVersion }
        return result
      })

    const route = resource.tableNameOf
    if (route === undefined) {
      const single = yield* openTable(table)
      const write = (records: ReadonlyArray<unknown>) => exclusive(single.add(records))
      const finish = exclusive(commitAll([single]))
      return { resource, table, counters, startedMillis, children, write, finish, incrementalFor, rootRuns, state, failure: undefined }
    }

    // dlt's `table_name` function: each record goes to the table it names, each table its own load.
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
    return { resource, table, counters, startedMillis, children, write, finish, incrementalFor, rootRuns, state, failure: undefined }
  })

const countPage = (context: RunContext, node: Node) => (page: ResourcePage<unknown>) => {
  node.counters.pages += 1
  node.counters.requests += page.attempts
  node.counters.retries += page.attempts - 1
  return context.report(node, "running")
}

const countFailure = (node: Node, error: ResourceError) => {
  if (error._tag === "ApiError") {
    // The failed page's attempts were requests too.
    node.counters.requests += error.attempts
    node.counters.retries += Math.max(0, error.attempts - 1)
  }
}

/** Streams one tree from its root and commits every resource in it that did not fail. */
const loadTree = (
  context: RunContext,
  root: Resource
): Effect.Effect<ReadonlyArray<ResourceLoadInfo>, never, Destination | ApiClient> =>
  Effect.scoped(
    Effect.gen(function*() {
      const client = yield* ApiClient
      const { source } = context
      const built = yield* Effect.either(makeNode(context, root))
      if (Either.isLeft(built)) {
        const now = yield* Clock.currentTimeMillis
        return [failedInfo(root, tableNameOf(root), { rows: 0, pages: 0, requests: 0, retries: 0 }, now, now, built.left)]
      }
      const tree = built.right

      /**
       * Hands a page's records to the node's load and to its children. Runs on every page, so
       * no `Effect.gen` here: a generator closure made per call keeps what it captures (the
       * records) alive through young-generation GCs (see `Paginator.next`).
       */
      const consume = (node: Node, records: ReadonlyArray<unknown>): Effect.Effect<void, Normalizer.NormalizeError | DestinationError> => {
        const written = node.write !== undefined && records.length > 0 ? node.write(records) : Effect.void
        if (node.children.length === 0) return written
        return Effect.zipRight(
          written,
          Effect.forEach(node.children, (child) =>
            Effect.suspend(() =>
              child.failure !== undefined ? Effect.void : Effect.forEach(records, (record) => runChild(child, node, record), {
                concurrency: child.resource.concurrency,
                discard: true
              })
            ), { discard: true })
        )
      }

      /** A child's pages for one parent record. Its failure is its own: the parent goes on. */
      const runChild = (node: Node, parent: Node, record: unknown): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (node.failure !== undefined) return Effect.void
          return source.pages(node.resource, {
            parent: { name: parent.resource.name, record },
            incremental: node.incrementalFor(record)
          }).pipe(
            Stream.runForEach((page) => Effect.zipRight(countPage(context, node)(page), consume(node, takeRecords(page)))),
            Effect.provideService(ApiClient, client),
            Effect.catchAll((error: ResourceError) =>
              Effect.sync(() => {
                if (node.failure === undefined) {
                  countFailure(node, error)
                  node.failure = error
                }
              })
            )
          )
        })

      // The runs are known before the stream is built: a `Stream.unwrap` or `flatMap` layer
      // costs Effect operations on every page.
      const rootRun = yield* Effect.either(
        Effect.flatMap(tree.rootRuns, (runs) =>
          (runs.length === 1
            ? source.pages(tree.resource, { incremental: runs[0] })
            : Stream.fromIterable(runs).pipe(Stream.flatMap((incremental) => source.pages(tree.resource, { incremental })))).pipe(
              // No `Stream.buffer` to fetch ahead: what follows a page's fetch is normalizing
              // and encoding it (well under a millisecond) and, every few thousand rows, one
              // COPY of ~1 MiB, so there is little to overlap; the buffer's queue cost ~45
              // Effect operations per page and measured slower (bench: 7.2-7.5 s with it,
              // 6.9-7.2 s without). Resources still load side by side.
              // The records are taken from the page: the stream keeps the page while the next one
              // is fetched (see `takeRecords`).
              Stream.runForEach((page) => Effect.zipRight(countPage(context, tree)(page), consume(tree, takeRecords(page))))
            )).pipe(Effect.provideService(ApiClient, client))
      )
      if (Either.isLeft(rootRun)) {
        countFailure(tree, rootRun.left)
        tree.failure = rootRun.left
      }

      // Commit parents before children; a child whose ancestor failed is not committed.
      const infos: Array<ResourceLoadInfo> = []
      const commit = (node: Node, ancestorFailed: string | undefined): Effect.Effect<void> =>
        Effect.gen(function*() {
          if (ancestorFailed !== undefined && node.failure === undefined) {
            node.failure = new ParentFailed({ resource: node.resource.name, parent: ancestorFailed })
          }
          let result: LoadResult | undefined
          if (node.failure === undefined && node.finish !== undefined) {
            const outcome = yield* Effect.either(node.finish)
            if (Either.isLeft(outcome)) node.failure = outcome.left
            else result = outcome.right
          }
          const now = yield* Clock.currentTimeMillis
          if (context.loaded.has(node.resource.name)) {
            yield* context.report(node, node.failure === undefined ? "done" : "failed")
            infos.push(
              node.failure === undefined
                ? {
                  resource: node.resource.name,
                  table: node.table,
                  status: "committed",
                  rowsPerTable: result?.rowsPerTable ?? {},
                  ...node.counters,
                  seconds: (now - node.startedMillis) / 1000
                }
                : failedInfo(node.resource, node.table, node.counters, node.startedMillis, now, node.failure)
            )
          }
          const failedHere = node.failure === undefined ? ancestorFailed : ancestorFailed ?? node.resource.name
          for (const child of node.children) yield* commit(child, failedHere)
        })
      yield* commit(tree, undefined)
      return infos
    })
  )

const failedInfo = (
  resource: Resource,
  table: string,
  counters: Counters,
  startedMillis: number,
  now: number,
  error: ResourceError
): ResourceLoadInfo => ({
  resource: resource.name,
  table,
  status: "failed",
  rowsPerTable: {},
  ...counters,
  seconds: (now - startedMillis) / 1000,
  error
})
