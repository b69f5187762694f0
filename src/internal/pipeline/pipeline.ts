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
import { Clock, Effect, Option } from "effect"
import { ApiClient } from "../http/apiClient.js"
import { currentRetryBudgets } from "../http/retry.js"
import { datasetName } from "../load/identifiers.js"
import { Destination, type DestinationError } from "../load/destination.js"
import type { RestApiSource } from "../extract/source.js"
import { type LoadInfo, type RunOptions, UnknownResourceError } from "./loadInfo.js"
import { loadTree } from "./loadTree.js"
import * as Telemetry from "../telemetry/runTelemetry.js"
import * as Progress from "./progress.js"
import type { RunContext } from "./runContext.js"

export {
  type HttpInfo,
  type LoadInfo,
  ParentFailed,
  type ResourceError,
  type ResourceLoadInfo,
  type RunOptions,
  tableNameOf,
  UnknownResourceError
} from "./loadInfo.js"

let lastLoadMicros = -1

/**
 * The run's load id: its start in seconds, to the microsecond (dlt's form), never the same
 * twice in a process (runs starting in one millisecond take turns per resource, see
 * resourceLocks.ts, and each keeps a load of its own).
 */
const nextLoadId = (nowMillis: number): string => {
  lastLoadMicros = Math.max(nowMillis * 1000, lastLoadMicros + 1)
  return (lastLoadMicros / 1_000_000).toFixed(6)
}

/**
 * Loads every selected resource of a source into the dataset, over the ApiClient in context:
 * its client for this source serves the whole run, so resources share its token and budget.
 */
export const run = (
  source: RestApiSource,
  runOptions: RunOptions
): Effect.Effect<LoadInfo, UnknownResourceError | DestinationError, Destination | ApiClient> =>
  // Each resource draws on one retry-wait budget for the whole run (client.retry.max_total_wait).
  Effect.suspend(() =>
    Effect.locally(Telemetry.tracedRun(runOptions.dataset, runWithBudgets(source, runOptions)), currentRetryBudgets, new Map())
  )

const runWithBudgets = (
  source: RestApiSource,
  runOptions: RunOptions
): Effect.Effect<LoadInfo, UnknownResourceError | DestinationError, Destination | ApiClient> =>
  Effect.gen(function*() {
    // A name too long for Postgres stands for a shorter one, the same every run.
    const options: RunOptions = { ...runOptions, dataset: datasetName(runOptions.dataset) }
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
    const loadId = nextLoadId(yield* Clock.currentTimeMillis)
    const telemetry = yield* Telemetry.enabled
    if (telemetry) yield* Effect.annotateCurrentSpan({ "rest_connector.load_id": loadId, "rest_connector.dataset": options.dataset })
    const destination = yield* Destination
    const stored = yield* destination.storedTables(options.dataset)
    // Looked up once: progress is reported on every page.
    const progress = yield* Effect.serviceOption(Progress.Progress)
    const clock = yield* Effect.clock
    const report: RunContext["report"] = (node, state, rowsPerTable) =>
      Option.isNone(progress) ? Effect.void : Effect.suspend(() =>
        progress.value.report({
          resource: node.resource.name,
          table: node.table,
          ...node.counters,
          seconds: (clock.unsafeCurrentTimeMillis() - node.startedMillis) / 1000,
          state,
          loadId,
          rowsPerTable,
          error: node.failure?.message,
          startedMillis: node.startedMillis,
          firstPageMillis: node.milestones.firstPageMillis,
          fetchedMillis: node.milestones.fetchedMillis
        })
      )
    const context: RunContext = { source, options, loadId, stored, loaded, needed, byName, telemetry, report }
    // The source's client outlives the run (and may serve others at once): count this run's share.
    const concurrency = (yield* (yield* ApiClient).forSource(source.spec)).concurrency
    const window = concurrency?.open()
    const results = yield* Effect.forEach(roots, (root) => loadTree(context, root), { concurrency: options.concurrency ?? 3 }).pipe(
      Effect.ensuring(Effect.sync(() => window?.close()))
    )
    const infos = results.flat()
    const stats = window?.read()
    const http = concurrency === undefined || stats === undefined
      ? undefined
      : { host: concurrency.host, maxInFlight: stats.reached, limit: stats.limit, throttles: stats.throttles }
    return { loadId, dataset: options.dataset, resources: infos, failed: infos.some((r) => r.status === "failed"), http }
  })
