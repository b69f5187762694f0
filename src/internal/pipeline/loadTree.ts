/**
 * One resource tree, streamed once from its root: a root page's records go to the root's load
 * and, for every record, to its children's streams (several parent records at a time,
 * bounded), and so on down; so a parent is fetched once however many children it feeds. Then
 * every resource of the tree that did not fail commits, parents before children.
 *
 * A database connection lost before anything of the tree committed (a server restart, a
 * terminated session) loads the tree again from its first page, a few times, with a warning:
 * its staged rows went with the attempt. Lost in a commit, it fails that resource (see
 * `DestinationError.reason`).
 */
import { Clock, Duration, Effect, Either, Stream } from "effect"
import { type ResourcePage, takeRecords } from "../extract/resource.js"
import { ApiClient } from "../http/apiClient.js"
import type { Destination, DestinationError, LoadResult } from "../load/destination.js"
import type * as Normalizer from "../normalize/normalizer.js"
import { describeThrown } from "../thrown.js"
import { ParentFailed, type ResourceError, type ResourceLoadInfo, type ResourceTimes, tableNameOf, UnexpectedError } from "./loadInfo.js"
import { makeNode } from "./resourceNode.js"
import type { Counters, Node, Resource, RunContext } from "./runContext.js"
import * as Telemetry from "../telemetry/runTelemetry.js"

const countPage = (context: RunContext, node: Node) => (page: ResourcePage<unknown>) => {
  node.counters.pages += 1
  node.counters.requests += page.attempts
  node.counters.retries += page.attempts - 1
  if (node.telemetry !== undefined) Telemetry.countRecords(node.telemetry, page.records.length)
  if (node.milestones.firstPageMillis !== undefined) return context.report(node, "running")
  // Once per resource: the clock is not read on every page.
  return Effect.zipRight(
    Effect.map(Clock.currentTimeMillis, (now) => {
      node.milestones.firstPageMillis ??= now
    }),
    context.report(node, "running")
  )
}

/** The tree's streams have ended: every node fetched what it will. */
const markFetched = (node: Node, now: number): void => {
  node.milestones.fetchedMillis ??= now
  for (const child of node.children) markFetched(child, now)
}

const timesOf = (node: Node, now: number): ResourceTimes => ({
  startedMillis: node.startedMillis,
  firstPageMillis: node.milestones.firstPageMillis,
  fetchedMillis: node.milestones.fetchedMillis,
  finishedMillis: now
})

const countFailure = (node: Node, error: ResourceError) => {
  if (error._tag === "ApiError") {
    // The failed page's attempts were requests too.
    node.counters.requests += error.attempts
    node.counters.retries += Math.max(0, error.attempts - 1)
  }
}

/** A defect in one resource's work becomes that resource's typed failure (secrets redacted). */
const failOnDefect = (context: RunContext, resource: Resource) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.catchAllDefect(effect, (defect) =>
    Effect.fail(new UnexpectedError({ resource: resource.name, detail: context.source.redactor.text(describeThrown(defect)) })))

/** Waits before the tree is loaded again after a lost connection: three more attempts. */
const reloadDelays: ReadonlyArray<Duration.DurationInput> = ["1 second", "2 seconds", "4 seconds"]

const lostConnection = (error: ResourceError | undefined): error is DestinationError =>
  error !== undefined && error._tag === "DestinationError" && error.reason === "ConnectionLost"

/** A resource of the tree whose connection was lost, if any. */
const findLost = (node: Node): { readonly resource: string; readonly error: DestinationError } | undefined => {
  if (lostConnection(node.failure)) return { resource: node.resource.name, error: node.failure }
  for (const child of node.children) {
    const lost = findLost(child)
    if (lost !== undefined) return lost
  }
  return undefined
}

type Attempt =
  | { readonly _tag: "Done"; readonly infos: ReadonlyArray<ResourceLoadInfo> }
  | { readonly _tag: "Lost"; readonly resource: string; readonly error: DestinationError }

/** Streams one tree from its root and commits every resource in it that did not fail. */
export const loadTree = (
  context: RunContext,
  root: Resource
): Effect.Effect<ReadonlyArray<ResourceLoadInfo>, never, Destination | ApiClient> =>
  Effect.gen(function*() {
    for (let attempt = 0;; attempt++) {
      const delay = reloadDelays[attempt]
      const result = yield* attemptTree(context, root, delay !== undefined)
      if (result._tag === "Done") return result.infos
      // Not reached: the last attempt (no delay left) never gives up.
      if (delay === undefined) return []
      yield* Effect.logWarning(
        `the connection to the database was lost while loading ${result.resource} (${result.error.message}); ` +
          `loading ${root.name} again from its first page in ${Duration.format(delay)} (attempt ${attempt + 2} of ${reloadDelays.length + 1})`
      )
      yield* Effect.sleep(delay)
    }
  })

/**
 * One attempt at a tree. With `mayRetry`, a connection lost before anything of it committed
 * abandons the attempt (its staging goes with its scope): nothing half-done is committed.
 */
const attemptTree = (
  context: RunContext,
  root: Resource,
  mayRetry: boolean
): Effect.Effect<Attempt, never, Destination | ApiClient> =>
  Effect.scoped(
    Effect.gen(function*() {
      const client = yield* ApiClient
      const { source } = context
      const built = yield* Effect.either(makeNode(context, root))
      if (Either.isLeft(built)) {
        if (mayRetry && lostConnection(built.left)) return lost(root.name, built.left)
        const now = yield* Clock.currentTimeMillis
        return done([
          failedInfo(root, tableNameOf(root), { rows: 0, pages: 0, requests: 0, retries: 0, replacedNuls: 0 }, now, now, built.left)
        ])
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
            Telemetry.within(node.telemetry),
            failOnDefect(context, node.resource),
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
            )).pipe(Effect.provideService(ApiClient, client), Telemetry.within(tree.telemetry), failOnDefect(context, tree.resource))
      )
      if (Either.isLeft(rootRun)) {
        countFailure(tree, rootRun.left)
        tree.failure = rootRun.left
      }
      markFetched(tree, yield* Clock.currentTimeMillis)
      const lostBefore = mayRetry ? findLost(tree) : undefined
      if (lostBefore !== undefined) return lost(lostBefore.resource, lostBefore.error)

      // Commit parents before children; a child whose ancestor failed is not committed.
      const infos: Array<ResourceLoadInfo> = []
      let committed = false
      let lostInCommit: Attempt | undefined
      const commit = (node: Node, ancestorFailed: string | undefined): Effect.Effect<void> =>
        Effect.gen(function*() {
          if (lostInCommit !== undefined) return
          if (ancestorFailed !== undefined && node.failure === undefined) {
            node.failure = new ParentFailed({ resource: node.resource.name, parent: ancestorFailed })
          }
          let result: LoadResult | undefined
          if (node.failure === undefined && node.finish !== undefined) {
            const outcome = yield* Effect.either(failOnDefect(context, node.resource)(Telemetry.commit(node.telemetry)(node.finish)))
            if (Either.isLeft(outcome)) {
              // Lost before its transaction, and nothing of the tree is committed: all again.
              if (mayRetry && !committed && lostConnection(outcome.left)) {
                lostInCommit = lost(node.resource.name, outcome.left)
                return
              }
              node.failure = outcome.left
            } else {
              result = outcome.right
              committed = true
              if (result.committedEarlier === true) {
                yield* Effect.logInfo(`${node.resource.name}: committed earlier (load ${result.loadId}) under this commit key; this attempt rolled back`)
              }
            }
          }
          const now = yield* Clock.currentTimeMillis
          yield* Telemetry.endResource(node.telemetry, {
            loaded: context.loaded.has(node.resource.name),
            failure: node.failure,
            rowsPerTable: result?.rowsPerTable ?? {},
            counters: node.counters
          })
          if (context.loaded.has(node.resource.name)) {
            yield* context.report(node, node.failure === undefined ? "done" : "failed", result?.rowsPerTable)
            infos.push(
              node.failure === undefined
                ? {
                  resource: node.resource.name,
                  table: node.table,
                  status: "committed",
                  rowsPerTable: result?.rowsPerTable ?? {},
                  ...(result?.committedEarlier === true ? { committedEarlier: result.loadId } : {}),
                  ...node.counters,
                  seconds: (now - node.startedMillis) / 1000,
                  times: timesOf(node, now)
                }
                : { ...failedInfo(node.resource, node.table, node.counters, node.startedMillis, now, node.failure), times: timesOf(node, now) }
            )
          }
          const failedHere = node.failure === undefined ? ancestorFailed : ancestorFailed ?? node.resource.name
          for (const child of node.children) yield* commit(child, failedHere)
        })
      yield* commit(tree, undefined)
      return lostInCommit ?? done(infos)
    })
  )

const done = (infos: ReadonlyArray<ResourceLoadInfo>): Attempt => ({ _tag: "Done", infos })
const lost = (resource: string, error: DestinationError): Attempt => ({ _tag: "Lost", resource, error })

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
