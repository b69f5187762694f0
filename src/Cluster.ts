/**
 * Syncs as durable workflows on `@effect/cluster` and `@effect/workflow`, for Effect apps that
 * embed runners in their own service (what `rest-connector worker` and `submit` do). A sync is
 * one workflow execution per dataset, tenant, config and requested run; each resource tree goes
 * onto a durable queue that every runner's worker takes from, and its commits carry a key of the
 * execution and the tree, so a tree taken again after its runner died never commits twice.
 * This module needs the optional peer dependencies `@effect/cluster` (0.60), `@effect/workflow`
 * (0.19) and `@effect/rpc` (0.76); the rest of the library never loads them.
 *
 * @since 0.1.0
 */
import * as lostResumes from "./internal/cluster/lostResumes.js"
import * as runner from "./internal/cluster/runner.js"
import * as rateLimit from "./internal/cluster/sharedRateLimit.js"
import * as sync from "./internal/cluster/syncWorkflow.js"
import * as secrets from "./internal/cluster/tenantSecrets.js"

export type {
  /**
   * @since 0.1.0
   */
  RunnerOptions
} from "./internal/cluster/runner.js"

export {
  /**
   * The sync could not start: its config is missing or changed since submission, a secret is missing.
   *
   * @since 0.1.0
   */
  SyncError,
  /**
   * What to sync: the config file (as the runners see it), its hash, the dataset, the tenant ("" for none) and the run's id.
   *
   * @since 0.1.0
   */
  SyncRequest,
  /**
   * The result: each resource's status, rows, tables, load id and whether an earlier attempt committed it.
   *
   * @since 0.1.0
   */
  SyncResult,
  /**
   * The workflow: `SyncWorkflow.execute(request)` submits (or joins) a sync and waits for its
   * result; `{ discard: true }` returns its execution id at once; `poll` reads its result.
   *
   * @since 0.1.0
   */
  SyncWorkflow,
  /**
   * @since 0.1.0
   */
  TreeOutcome
} from "./internal/cluster/syncWorkflow.js"

export {
  /**
   * The secrets table could not be read or written, or `RC_SECRETS_KEY` is missing or not the one that stored a value.
   *
   * @since 0.1.0
   */
  TenantSecretError
} from "./internal/cluster/tenantSecrets.js"

/**
 * A runner: joins the cluster whose state lives in the database of `storage` (see
 * `clusterDatabase`), and runs the syncs on its shards with the `Destination`, `ApiClient` and
 * `SqlClient` (the datasets' database) in context.
 *
 * @since 0.1.0
 */
export const runnerLayer = runner.runnerLayer

/**
 * A client of the cluster (its state over `storage`, see `clusterDatabase`): submits and polls syncs, runs none.
 *
 * @since 0.1.0
 */
export const clientLayer = runner.clientLayer

/**
 * The cluster's storage on a Postgres server: a pool whose connections work in `clusterSchema`
 * (made if missing), so the cluster's tables stay apart from the datasets.
 *
 * @since 0.1.0
 */
export const clusterDatabase = runner.clusterDatabase

/**
 * The schema of the cluster's state (`rc_cluster`): @effect/cluster's tables and the syncs and schedules.
 *
 * @since 0.1.0
 */
export const clusterSchema = runner.clusterSchema

/**
 * The workflow's implementation and the worker that loads its queued resource trees, for any
 * `WorkflowEngine` (the cluster's, or `WorkflowEngine.layerMemory` in tests). It needs a
 * `PersistedQueueFactory` for the trees' queue: `runnerLayer` gives it one in the cluster's
 * storage; with the in-memory engine, provide `syncMemoryQueue`.
 *
 * @since 0.1.0
 */
export const syncLayer = sync.layer

/**
 * The trees' queue in memory, for `syncLayer` on the in-memory workflow engine (one process).
 *
 * @since 0.1.0
 */
export const syncMemoryQueue = sync.memoryQueue

/**
 * The sweep that wakes workflows whose wake-up @effect/cluster 0.60's engine lost (a deferred
 * recorded as delivered while the workflow stayed suspended, when a database error hit the
 * engine's reset). `runnerLayer` includes it; add it for `syncLayer` (or your own workflows) on
 * your own `ClusterWorkflowEngine`: `lostResumesLayer(SyncWorkflow, clusterDatabase(url))`.
 *
 * @since 0.1.0
 */
export const lostResumesLayer = lostResumes.layer

export {
  /**
   * How often the lost-resume sweep runs and how far back it looks (a `Context.Reference`:
   * `Layer.succeed(LostResumeSweep, { every, settle, lookback, unreadFor })`).
   *
   * @since 0.1.0
   */
  LostResumeSweep
} from "./internal/cluster/lostResumes.js"

/**
 * The hash a request carries of its config file (sha256 of its bytes).
 *
 * @since 0.1.0
 */
export const configHash = sync.configHash

/**
 * Runs an effect with a tenant's secrets: each config secret `NAME` is read as `<TENANT>_NAME`.
 *
 * @since 0.1.0
 */
export const forTenant = sync.forTenant

/**
 * @effect/experimental's `RateLimiterStore` in Postgres (`rc_cluster.rate_limits`, over the
 * `SqlClient` in context): the store `runnerLayer` uses so the config's `rate_limit` is one
 * budget across every runner; usable with `DurableRateLimiter` in your own workflows too.
 *
 * @since 0.1.0
 */
export const rateLimiterStore = rateLimit.storeLayer

/**
 * Stores a tenant's secret in the cluster's secrets table, encrypted with the passphrase in
 * `RC_SECRETS_KEY` (read from the ConfigProvider); a tenant's syncs read it before `<TENANT>_NAME`.
 *
 * @since 0.1.0
 */
export const setTenantSecret = secrets.setSecret

/**
 * Removes a tenant's secret; false when there was none.
 *
 * @since 0.1.0
 */
export const removeTenantSecret = secrets.removeSecret

/**
 * Re-encrypts the secrets table (or one tenant's secrets) with `RC_SECRETS_KEY`, opening each
 * secret with it or with `RC_SECRETS_KEY_PREVIOUS`, in one transaction: a secret that opens with
 * neither fails it with a `TenantSecretError` naming the secret, and nothing changes. Runners
 * read secrets under either key meanwhile.
 *
 * @since 0.1.0
 */
export const rotateTenantSecretsKey = secrets.rotateKey
