/**
 * The cluster under fire: 3 runner processes, 50 tenants on one config (half with their token
 * in the encrypted secrets table, half in the runners' environment; each tenant's account a
 * param), runners killed with SIGKILL at random (at least 10 kills, each replaced by a fresh
 * runner) and the Postgres server restarted twice while the syncs run. Then every tenant's
 * tables must equal a single-process reference run of the same config, row for row (an append
 * resource shows any tree committed twice), and the API must have seen the config's rate limit
 * across all runners together, not per runner.
 *
 * On a Postgres server of its own (restarted freely, apart from the other test files).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { Cause, ConfigProvider, Effect, Layer, Redacted } from "effect"
import type { ChildProcess } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import pg from "pg"
import { clientLayer, clusterDatabase } from "../../src/internal/cluster/runner.js"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as Registry from "../../src/internal/cluster/syncRegistry.js"
import * as Secrets from "../../src/internal/cluster/tenantSecrets.js"
import * as Source from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import { freePort } from "../support/ports.js"
import { startWorker, stopWorker } from "../support/workers.js"
import { faultSeed, makeRng } from "./prng.js"
import { type PrivatePostgres, startPrivatePostgres, unavailable } from "./privatePostgres.js"
import { startTenantApi, type Tenant, type TenantApi, tenantConfig } from "./tenantApi.js"
import { describeUnfinished } from "./clusterDiagnostics.js"
import { compareTenantTables } from "./tenantTables.js"

const TENANTS = 50
const RATE = 15
const KILLS = 12
const RESTARTS_AT = new Set([3, 7])
const SECRETS_KEY = "chaos-passphrase"
const seed = faultSeed()
const reason = unavailable()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(reason !== undefined)(`the cluster under kills and restarts (seed ${seed})`, () => {
  let database: PrivatePostgres | undefined
  let api: TenantApi | undefined
  const workers = new Set<ChildProcess>()
  let dir = ""
  afterAll(async () => {
    await Promise.all([...workers].map(stopWorker))
    await api?.close()
    database?.stop()
    if (dir !== "") await rm(dir, { recursive: true, force: true })
  })

  it("every tenant's tables equal a single-process run; the rate limit held across runners", async () => {
    const rng = makeRng(seed)
    database = await startPrivatePostgres()
    api = await startTenantApi(TENANTS, 30, seed)
    dir = await mkdtemp(path.join(tmpdir(), "rc-chaos-"))
    const config = path.join(dir, "chaos.json")
    await writeFile(config, JSON.stringify(tenantConfig(api.url, RATE)))
    const url = database.url
    const tenants = api.tenants
    const inTable = (t: Tenant) => Number(t.name.slice(-2)) % 2 === 0
    const environment = Object.fromEntries(tenants.filter((t) => !inTable(t)).map((t) => [`${Sync.tenantPrefix(t.name)}_API_TOKEN`, t.token]))
    const allTokens = ConfigProvider.fromMap(new Map(tenants.map((t) => [`${Sync.tenantPrefix(t.name)}_API_TOKEN`, t.token])), { pathDelim: "_" })
    const db = PgPool.layerPool({ url: Redacted.make(url), maxConnections: 8 })
    // A failure shows its whole cause (which statement, which dataset), not just its first line.
    const run = <A, E>(effect: Effect.Effect<A, E, Layer.Layer.Success<typeof db>>) =>
      Effect.runPromise(Effect.provide(effect, db).pipe(Effect.catchAllCause((cause) => Effect.die(new Error(Cause.pretty(cause))))))

    // The reference: each tenant synced by one process, as `rest-connector run` would.
    await run(Effect.forEach(tenants, (t) =>
      Effect.gen(function*() {
        const source = yield* Source.fromFile(config, { params: { account: t.account } }).pipe(Sync.forTenant(t.name), Effect.withConfigProvider(allTokens))
        const info = yield* Pipeline.run(source, { dataset: `ref_${t.name}` })
        if (info.resources.some((r) => r.status !== "committed")) throw new Error(`reference run of ${t.name} failed`)
      }), { concurrency: 10, discard: true }).pipe(
        Effect.provide(Layer.mergeAll(PostgresDestination.layer, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))))
      ))
    expect(api.refused()).toBe(0)

    // Half the tenants' tokens in the secrets table, the other half in the runners' environment.
    await run(Effect.forEach(tenants.filter(inTable), (t) => Secrets.setSecret(t.name, "API_TOKEN", Redacted.make(t.token)), { discard: true }).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([[Secrets.secretsKeyVariable, SECRETS_KEY]])))
    ))
    const workerEnv = { ...environment, [Secrets.secretsKeyVariable]: SECRETS_KEY }
    const startOne = async () => {
      const w = await startWorker(await freePort(), url, ["--max-syncs", "4"], undefined, workerEnv)
      workers.add(w)
      w.once("exit", () => workers.delete(w))
    }
    for (let i = 0; i < 3; i++) await startOne()

    api.resetLog()
    const hash = await Effect.runPromise(Sync.configHash(config))
    await run(Effect.forEach(tenants, (t) =>
      Effect.gen(function*() {
        const request = { config, configHash: hash, dataset: `sync_${t.name}`, tenant: t.name, run: "chaos", params: { account: t.account } }
        const executionId = yield* Sync.SyncWorkflow.executionId(request)
        yield* Registry.recordSubmitted({ executionId, dataset: request.dataset, tenant: t.name, run: request.run })
        yield* Sync.SyncWorkflow.execute(request, { discard: true })
      }), { concurrency: 5, discard: true }).pipe(Effect.provide(clientLayer(clusterDatabase(Redacted.make(url), 2)))))

    // Kill a random runner every 1-2.5 s (a fresh one takes its place), restart Postgres twice.
    const states = async (): Promise<Record<string, number>> => {
      const client = new pg.Client({ connectionString: url })
      client.on("error", () => {})
      try {
        await client.connect()
        const rows = (await client.query<{ state: string; n: number }>(`SELECT state, count(*)::int AS n FROM rc_cluster.syncs GROUP BY state`)).rows
        return Object.fromEntries(rows.map((r) => [r.state, r.n]))
      } catch {
        return {}
      } finally {
        await client.end().catch(() => {})
      }
    }
    const done = (s: Record<string, number>) => (s["committed"] ?? 0) + (s["failed"] ?? 0) === TENANTS
    let kills = 0
    const restartTimes: Array<number> = []
    const deadline = Date.now() + 330_000
    let finished = await states()
    // A replacement starts while the next kill is prepared: waiting for each to listen (1-2 s)
    // spaced the kills out so far that fast runs ended after 9 of them.
    const starting: Array<Promise<void>> = []
    while (!done(finished) && Date.now() < deadline) {
      await sleep(rng.int(1000, 2500))
      if (kills < KILLS) {
        const alive = [...workers]
        const victim = alive.length === 0 ? undefined : rng.pick(alive)
        if (victim !== undefined) {
          victim.kill("SIGKILL")
          workers.delete(victim)
          kills++
          starting.push(startOne())
        }
        if (RESTARTS_AT.has(kills)) {
          // Not while a runner is starting: its first connection would meet the restart.
          await Promise.all(starting)
          restartTimes.push(Date.now())
          database.restart()
        }
      }
      finished = await states()
    }
    await Promise.all(starting)
    if (finished["committed"] !== TENANTS) console.log(`syncs not committed:\n${await describeUnfinished(url)}`)
    expect(finished, "every sync ended").toMatchObject({ committed: TENANTS })
    // The faults happened while syncs were running, not after they were all done.
    expect(kills).toBeGreaterThanOrEqual(10)
    expect(restartTimes.length).toBe(2)
    expect(api.refused(), "every request carried its tenant's token and account").toBe(0)

    const differences = await compareTenantTables(url, tenants.map((t) => ({ ours: `sync_${t.name}`, reference: `ref_${t.name}` })))
    expect(differences).toEqual([])

    // One budget for the cluster, not one per runner (3 runners on their own budgets could send
    // 3 x RATE). The limiter lets a window's worth go at once, so a second may see up to 2 x RATE;
    // seconds near a Postgres restart are left out (a runner that cannot reach the store waits
    // on its own budget meanwhile).
    const times = [...api.requestTimes()].sort((a, b) => a - b)
    const first = times[0] ?? 0
    const seconds = ((times.at(-1) ?? 0) - first) / 1000
    const perSecond = new Map<number, number>()
    for (const t of times) {
      if (restartTimes.some((r) => Math.abs(t - r) < 3000)) continue
      const second = Math.floor((t - first) / 1000)
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1)
    }
    const busiest = Math.max(...perSecond.values())
    console.log(
      `${TENANTS} tenants, ${kills} kills, ${restartTimes.length} Postgres restarts: ${times.length} requests in ${seconds.toFixed(1)} s ` +
        `(${(times.length / seconds).toFixed(1)}/s; busiest second away from restarts ${busiest}; limit ${RATE}/s)`
    )
    expect(times.length / Math.max(1, seconds)).toBeLessThanOrEqual(RATE * 1.2)
    expect(busiest).toBeLessThanOrEqual(2 * RATE)
  }, 420_000)
})
