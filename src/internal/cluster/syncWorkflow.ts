/**
 * A sync as a durable workflow (@effect/workflow): one execution per dataset, tenant, config
 * and requested run (its idempotency key). Each resource tree goes onto a `DurableQueue` that
 * every runner's worker takes from (a runner with a free slot takes the next tree, whichever
 * runner's shards hold the workflow), and the workflow waits for its result. A tree's resource
 * commits carry `<execution id>/tree/<root>/<resource>` (`RunOptions.commitKey`), claimed in
 * the commit's own transaction: a tree taken again after its runner died rolls back instead of
 * committing twice. A workflow resumed elsewhere finds the trees that finished and queues the rest.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Activity from "@effect/workflow/Activity"
import * as DurableQueue from "@effect/workflow/DurableQueue"
import * as PersistedQueue from "@effect/experimental/PersistedQueue"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as Workflow from "@effect/workflow/Workflow"
import { Cause, Context, Duration, Effect, Layer, Option, Schedule, Schema } from "effect"
import { createHash } from "node:crypto"
import { readFile } from "node:fs/promises"
import type { ResourceSpec } from "../config/spec.js"
import type { Secret } from "../config/secrets.js"
import type { RestApiSource } from "../extract/source.js"
import * as Source from "../extract/source.js"
import { clientsPerRun } from "../http/apiClient.js"
import { SharedBudgets } from "../http/rateLimit.js"
import { committedUnder } from "../load/loadRecords.js"
import type { ResourceError } from "../pipeline/loadInfo.js"
import * as Pipeline from "../pipeline/pipeline.js"
import { describeThrown } from "../thrown.js"
import { throughStorageRestarts, whileRestarting } from "./restarts.js"
import { forTenant } from "../config/tenant.js"
import * as MemoryQueueStore from "./memoryQueueStore.js"
import * as Registry from "./syncRegistry.js"
import * as Secrets from "./tenantSecrets.js"

export { forTenant, tenantPrefix } from "../config/tenant.js"

export const SyncRequest = Schema.Struct({
  /** The config file, as the runners see it (every runner has the same file). */
  config: Schema.String,
  /** A hash of the config file's content: a runner with another version refuses the sync. */
  configHash: Schema.String,
  dataset: Schema.String,
  /** The tenant whose secrets and params the sync uses ("" for none). */
  tenant: Schema.String,
  /** The requested run: a manual submission's id or a schedule's tick. */
  run: Schema.String,
  /** The tenant's values for `{params.NAME}` in the config (`--params k=v,...`). */
  params: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { default: () => ({}) })
})
export type SyncRequest = typeof SyncRequest.Type

export const TreeOutcome = Schema.Struct({
  resource: Schema.String,
  status: Schema.Literal("committed", "failed"),
  rows: Schema.Number,
  tables: Schema.Record({ key: Schema.String, value: Schema.Number }),
  /** The load that committed it, this attempt's or an earlier one's. */
  loadId: Schema.String,
  committedEarlier: Schema.Boolean,
  error: Schema.NullOr(Schema.String)
})
export type TreeOutcome = typeof TreeOutcome.Type

export const SyncResult = Schema.Struct({ dataset: Schema.String, resources: Schema.Array(TreeOutcome) })
export type SyncResult = typeof SyncResult.Type

/** The sync could not start (its config is missing or changed, a secret is missing). */
export class SyncError extends Schema.TaggedError<SyncError>()("SyncError", { message: Schema.String }) {}

/**
 * Dataset + tenant + config hash + run (+ params, when given): submitting the same request
 * twice joins the first. Without params the key is what it was before params existed.
 */
export const idempotencyKeyOf = (r: SyncRequest): string => {
  const base = [r.dataset, r.tenant, r.configHash, r.run]
  const params = Object.keys(r.params).sort().map((k) => `${k}=${r.params[k]}`)
  return (params.length === 0 ? base : [...base, params.join("\u0001")]).join("\u0000")
}

export const SyncWorkflow = Workflow.make({
  name: "rest-connector/Sync",
  payload: SyncRequest,
  success: SyncResult,
  error: SyncError,
  idempotencyKey: idempotencyKeyOf,
  // A client waiting on a workflow that suspended (its tree queued) polls it: every 2 s at
  // most, not on the engine's default backoff, which reaches 30 s.
  suspendedRetrySchedule: Schedule.exponential("200 millis", 1.5).pipe(Schedule.either(Schedule.spaced("2 seconds")))
})

/** The resources a tree loads: a root and every selected resource below it. */
const treeOf = (all: ReadonlyArray<ResourceSpec<Secret>>, root: ResourceSpec<Secret>): ReadonlyArray<string> => {
  const names = new Set([root.name])
  for (let grew = true; grew;) {
    grew = false
    for (const r of all) {
      if (r.parent !== undefined && names.has(r.parent) && !names.has(r.name) && r.selected) {
        names.add(r.name)
        grew = true
      }
    }
  }
  return [...names]
}

/**
 * How many resource trees a runner loads at once (`worker --max-syncs`): its queue worker's
 * concurrency. A runner with a free slot takes the next queued tree, whichever runner's shards
 * hold the tree's workflow.
 */
export class SyncSlots extends Context.Reference<SyncSlots>()("effect-rest-connector/SyncSlots", { defaultValue: () => 8 }) {}

/** The runner's address (`host:port`), for `status`; "" outside a runner (the in-memory engine). */
export class RunnerName extends Context.Reference<RunnerName>()("effect-rest-connector/RunnerName", { defaultValue: () => "" }) {}

/** A runner's slots: at most `n` trees at once. */
export const syncSlotsLayer = (n: number) => Layer.succeed(SyncSlots, Math.max(1, n))

/**
 * How often a tree that could not run (its destination failing: Postgres restarting, a lost
 * connection before the first commit) is tried again, and the first wait (doubled each time).
 * Its commits carry the same keys on every attempt, so a retry never commits twice.
 */
export class TreeRetries extends Context.Reference<TreeRetries>()("effect-rest-connector/TreeRetries", {
  defaultValue: (): { readonly times: number; readonly firstDelay: Duration.Duration } => ({ times: 4, firstDelay: Duration.seconds(2) })
}) {}

/** Each failed attempt waits on the durable clock (2 s, 4 s, 8 s...), then runs as the activity's next attempt. */
const retried = <A, R>(name: string, activity: Effect.Effect<A, SyncError, R>) =>
  Effect.flatMap(TreeRetries, (policy) =>
    Activity.retry(
      Effect.tapError(throughStorageRestarts(activity), () =>
        Effect.flatMap(Activity.CurrentAttempt, (attempt) =>
          attempt > policy.times
            ? Effect.void
            : Effect.zipRight(
              Effect.logWarning(`${name}: attempt ${attempt} failed; trying again`),
              throughStorageRestarts(
                DurableClock.sleep({ name: `${name}/retry-${attempt}`, duration: Duration.times(policy.firstDelay, 2 ** (attempt - 1)) })
              )
            ))),
      { times: policy.times }
    ))

/** The resource failed because the database connection went (before or during its commit). */
const lostDatabase = (error: ResourceError): boolean =>
  error._tag === "DestinationError" && (error.reason === "ConnectionLost" || error.reason === "ConnectionLostInCommit")

/** A tree's resources loaded under commit keys `${key}/<resource>` (the same on every attempt). */
const loadTree = (source: RestApiSource, dataset: string, root: ResourceSpec<Secret>, key: string) =>
  Effect.gen(function*() {
    const commitKey = (r: string) => `${key}/${r}`
    const tree = treeOf(source.spec.resources, root)
    // A retried tree (its runner killed mid-tree) resumes at its first uncommitted
    // resource: those an earlier attempt committed are reported, not read again.
    const sql = yield* SqlClient.SqlClient
    const earlier = yield* committedUnder(sql, dataset, tree.map(commitKey))
    const remaining = tree.filter((r) => !earlier.has(commitKey(r)))
    const done = tree.flatMap((r): ReadonlyArray<TreeOutcome> => {
      const commit = earlier.get(commitKey(r))
      return commit === undefined ? [] : [{
        resource: r,
        status: "committed",
        rows: 0,
        tables: { ...commit.rowsPerTable },
        loadId: commit.loadId,
        committedEarlier: true,
        error: null
      }]
    })
    if (remaining.length === 0) return done
    const info = yield* Pipeline.run(source, { dataset, resources: remaining, commitKey })
    // A connection lost in a commit (or lost again on every reload) is the database's
    // fault, not the resource's: the tree is tried again, and its commit keys tell which
    // resources that commit did reach.
    const lost = info.resources.find((r) => r.error !== undefined && lostDatabase(r.error))
    if (lost?.error !== undefined) {
      return yield* new SyncError({ message: `${lost.resource}: ${source.redactor.text(lost.error.message)}` })
    }
    return [...done, ...info.resources.map((r): TreeOutcome => ({
      resource: r.resource,
      status: r.status,
      rows: r.rows,
      tables: { ...r.rowsPerTable },
      loadId: r.committedEarlier ?? info.loadId,
      committedEarlier: r.committedEarlier !== undefined,
      error: r.error === undefined ? null : source.redactor.text(r.error.message)
    }))]
  }).pipe(
    Effect.mapError((e) => new SyncError({ message: `resource tree '${root.name}': ${source.redactor.text(e.message)}` }))
  )

/** A tree handed to whichever runner has a free slot; `attempt` makes each retry its own item. */
export const TreeJob = Schema.Struct({ request: SyncRequest, executionId: Schema.String, root: Schema.String, attempt: Schema.Number })
export type TreeJob = typeof TreeJob.Type

export const TreeQueue = DurableQueue.make({
  name: "rest-connector/tree",
  payload: TreeJob,
  success: Schema.Array(TreeOutcome),
  error: SyncError,
  idempotencyKey: (job) => `${job.executionId}/${job.root}/${job.attempt}`
})

/** What a runner's queue worker does with a tree: loads the sync's source and the tree. */
export const runTreeJob = (job: TreeJob) =>
  Effect.gen(function*() {
    const key = { executionId: job.executionId, dataset: job.request.dataset, tenant: job.request.tenant, run: job.request.run }
    const runner = (yield* RunnerName) || undefined
    yield* Registry.recordProgress(key, { state: "running", currentResource: job.root, runner }).pipe(
      whileRestarting,
      Effect.catchAll((e) => Effect.logWarning(`status of ${job.executionId}: ${e.message}`))
    )
    const budgets = yield* SharedBudgets
    const source = yield* loadSource(job.request)
    const root = source.spec.resources.find((r) => r.name === job.root)
    if (root === undefined) return yield* new SyncError({ message: `no resource ${job.root}` })
    return yield* clientsPerRun(loadTree(source, job.request.dataset, root, `${job.executionId}/tree/${job.root}`)).pipe(
      Effect.provideService(SharedBudgets, { ...budgets, tenant: job.request.tenant })
    )
  })

/** The runner's queue worker: as many trees at once as it has slots. */
const treeWorker = Layer.unwrapEffect(Effect.map(SyncSlots, (concurrency) => DurableQueue.worker(TreeQueue, runTreeJob, { concurrency })))

/** The trees' queue in memory, for the in-memory workflow engine (one process). */
export const memoryQueue = PersistedQueue.layer.pipe(Layer.provide(MemoryQueueStore.layerStore))

/** One queued tree per root, one after another (a resumed sync starts at the first unfinished tree). */
export const runTrees = (source: RestApiSource, request: SyncRequest, executionId: string) =>
  Effect.forEach(
    source.spec.resources.filter((r) => r.parent === undefined && r.selected),
    (root) =>
      retried(`tree/${root.name}`, Effect.flatMap(Activity.CurrentAttempt, (attempt) =>
        DurableQueue.process(TreeQueue, { request, executionId, root: root.name, attempt })))
  ).pipe(Effect.map((trees): SyncResult => ({ dataset: request.dataset, resources: trees.flat() })))

/** The hash a request carries of its config file (sha256 of its bytes). */
export const configHash = (file: string): Effect.Effect<string, SyncError> =>
  Effect.tryPromise({
    try: async () => createHash("sha256").update(await readFile(file)).digest("hex"),
    catch: (e) => new SyncError({ message: `cannot read the config ${file}: ${e instanceof Error ? e.message : String(e)}` })
  })

/** The workflow's implementation: the runner's Destination and ApiClient do the work. */
const workflow = SyncWorkflow.toLayer((request, executionId) =>
  Effect.gen(function*() {
    const key = { executionId, dataset: request.dataset, tenant: request.tenant, run: request.run }
    // Tried again through a database restart (a sync that ended must not stay "running").
    const progress = (update: Parameters<typeof Registry.recordProgress>[1]) =>
      Registry.recordProgress(key, update).pipe(
        whileRestarting,
        Effect.catchAll((e) => Effect.logWarning(`status of ${executionId}: ${e.message}`))
      )
    // The source is read here for its trees, and so that a changed config or a missing secret
    // fails the sync before any request. The requests are made by the queue worker that takes
    // each tree (it reads the source again and holds its secrets and HTTP clients only while
    // the tree runs); until then the workflow is suspended and the sync "submitted" in status.
    const result = yield* Effect.flatMap(loadSource(request), (source) => runTrees(source, request, executionId)).pipe(
      // Its typed failure, or a defect (the engine's storage down longer than its retries): the
      // engine records either as the workflow's end, so status says so. Not an interruption:
      // the runner is stopping, and the workflow resumes elsewhere.
      Effect.tapErrorCause((cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.void
        const message = Option.match(Cause.failureOption(cause), {
          onSome: (e) => e.message,
          onNone: () => `the workflow engine failed: ${describeThrown(Cause.squash(cause))}`
        })
        return Effect.zipRight(Effect.logWarning(`sync ${executionId} of ${request.dataset} failed: ${message}`), progress({ state: "failed", error: message }))
      })
    )
    const failed = result.resources.find((r) => r.status === "failed")
    if (failed !== undefined) yield* Effect.logWarning(`sync ${executionId} of ${request.dataset}: resource ${failed.resource} failed: ${failed.error}`)
    yield* progress({ state: failed === undefined ? "committed" : "failed", error: failed?.error ?? undefined })
    return result
  })
)

/** The workflow and the runner's worker for queued trees (they need a `PersistedQueueFactory`). */
export const layer = Layer.mergeAll(workflow, treeWorker)

const loadSource = (request: SyncRequest) =>
  Effect.gen(function*() {
    // Every runner must sync the config that was submitted, not another version of the file.
    const hash = yield* configHash(request.config)
    if (hash !== request.configHash) {
      return yield* new SyncError({ message: `${request.config} is not the config that was submitted (its content changed)` })
    }
    const stored = request.tenant === ""
      ? Option.none()
      : yield* Secrets.tenantProvider(request.tenant).pipe(Effect.mapError((e) => new SyncError({ message: e.message })))
    return yield* Source.fromFile(request.config, { params: request.params }).pipe(
      Effect.mapError((e) => new SyncError({ message: e.message })),
      request.tenant === "" ? (self) => self : forTenant(request.tenant, Option.getOrUndefined(stored))
    )
  })
