/**
 * npm run bench:cluster [-- --syncs N] [--pages N] [--latency-ms N] [--max-syncs N] [--runners 1,2,3] [--settle-seconds S] [--repeat]
 * Syncs per minute on 1, 2 and 3 runners (`rest-connector worker` processes, each capped at the
 * same `--max-syncs`, default 2) against a latency-bound loopback API (every page 100 ms, so a
 * runner's concurrency budget is the limit, not the CPU). Each sync is one tenant's: its own
 * dataset, one resource of `--pages` pages (default 20: 2 s of waiting on the API, so a sync's
 * fixed costs, its new dataset's DDL, the workflow's messages and status writes, do not make
 * the 2-core machine's CPU the limit instead; `--pages 5` measures that). `--syncs` (default
 * 96) are submitted at once through a cluster client and awaited. Needs the Postgres server
 * (DATABASE_URL).
 * The last line is machine-readable:
 *   cluster: runners=1,2,3 syncs_per_min=A,B,C ratio=C/A peak_rss_mb=M
 * (peak_rss_mb: the largest peak RSS of any runner, from /proc/<pid>/status VmHWM).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { ChildProcess } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Duration, Effect, Layer, Redacted } from "effect"
import { argValue, root } from "./demoProcess.js"
// The tests' worker helpers: the bench starts runners as the tests do.
import { freePort } from "../test/support/ports.js"
import { startWorker, stopWorker } from "../test/support/workers.js"
import { clientLayer, clusterDatabase } from "../src/internal/cluster/runner.js"
import * as Sync from "../src/internal/cluster/syncWorkflow.js"
import * as PgPool from "../src/internal/load/pgPool.js"

const databaseUrl = process.env["DATABASE_URL"] || undefined
const syncs = Number(argValue("syncs") ?? 96)
const pages = Number(argValue("pages") ?? 20)
const latencyMs = Number(argValue("latency-ms") ?? 100)
const maxSyncs = Number(argValue("max-syncs") ?? 2)
const runnerCounts = (argValue("runners") ?? "1,2,3").split(",").map(Number)
const settleSeconds = Number(argValue("settle-seconds") ?? 8)
const repeat = process.argv.includes("--repeat")

const peakRssMb = (pid: number | undefined): number => {
  if (pid === undefined) return 0
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return hwm === null ? 0 : Number(hwm[1]) / 1024
  } catch {
    return 0
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s). */
const cpuSeconds = (pid: number | undefined, withEndedChildren = false): number => {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
    const own = Number(fields[11]) + Number(fields[12])
    return (withEndedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) / 100
  } catch {
    return 0
  }
}

/**
 * The sharding places each sync by a hash of its id, so runners get unequal shares and the
 * busiest one sets the time: with shares 39/29/28 of 96, 3 runners can at best be 96/39 = 2.46
 * times one runner, however fast each is.
 */
/** CPU seconds of every Postgres server process (the database the runners share), summed. */
const postgresCpuSeconds = (): number => {
  let total = 0
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      // A session that ends moves its CPU to the postmaster's children's time (the ended
      // children's columns): counting those keeps the sum from dropping when a pool closes one.
      if (stat.includes("(postgres)")) total += cpuSeconds(Number(entry), true)
    } catch {
      // a process that ended while we read
    }
  }
  return total
}

interface CpuUse {
  readonly runners: ReadonlyArray<number>
  readonly postgres: number
  /** This process: the loopback API and the cluster client awaiting the syncs. */
  readonly bench: number
}

const cpuNow = (workers: ReadonlyArray<ChildProcess>): CpuUse => {
  const own = process.cpuUsage()
  return { runners: workers.map((w) => cpuSeconds(w.pid)), postgres: postgresCpuSeconds(), bench: (own.user + own.system) / 1e6 }
}

/** The CPU each part used between two readings: where the timed syncs' CPU went. */
const cpuSince = (before: CpuUse, after: CpuUse): CpuUse => ({
  runners: after.runners.map((c, i) => c - (before.runners[i] ?? 0)),
  postgres: after.postgres - before.postgres,
  bench: after.bench - before.bench
})

const balanceNote = (share: ReadonlyArray<number>): string => {
  if (share.length < 2) return ""
  const total = share.reduce((a, b) => a + b, 0)
  return ` (the busiest runner's share caps the speed-up at ${(total / Math.max(...share)).toFixed(2)})`
}

/**
 * Every phase starts from the same catalog: no datasets left by an earlier (interrupted) run,
 * and the system catalogs vacuumed. Each sync creates and drops tables, so without this a later
 * phase reads a catalog bloated by the earlier phases' dead rows (where autovacuum is off, as on
 * the CI machine, it never shrinks), and the 3-runner phase pays for the 1-runner phase's work.
 */
const freshCatalog = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const leftovers = yield* sql.unsafe<{ name: string }>(
    `SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname LIKE 'bench\\_cluster\\_%'`
  ).withoutTransform
  for (const { name } of leftovers) yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
  yield* sql.unsafe(
    "VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_type, pg_catalog.pg_depend, pg_catalog.pg_namespace, pg_catalog.pg_index, pg_catalog.pg_constraint"
  )
})

const main = async () => {
  if (databaseUrl === undefined) {
    console.error("bench:cluster needs a Postgres server: set DATABASE_URL")
    process.exitCode = 2
    return
  }
  const api = createServer((req, res) => {
    const page = Number(new URL(req.url ?? "/", "http://x").searchParams.get("page") ?? 1)
    setTimeout(() => {
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify({ items: page > pages ? [] : Array.from({ length: 20 }, (_, k) => ({ id: `${page}-${k}`, v: k })), total_pages: pages }))
    }, latencyMs)
  })
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", () => resolve()))
  const address = api.address()
  const apiPort = typeof address === "object" && address !== null ? address.port : 0
  const dir = await mkdtemp(path.join(tmpdir(), "rc-bench-cluster-"))
  const config = path.join(dir, "bench_cluster.json")
  await writeFile(config, JSON.stringify({
    client: { base_url: `http://127.0.0.1:${apiPort}/` },
    resources: [{
      name: "items",
      primary_key: "id",
      write_disposition: "merge",
      endpoint: { path: "items", data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: "total_pages", concurrency: 1 } }
    }]
  }))
  const database = PgPool.layerPool({ url: Redacted.make(databaseUrl), maxConnections: 4 })
  const stamp = Date.now().toString(36)
  const rates: Array<number> = []
  const shares: Array<ReadonlyArray<number>> = []
  let peak = 0
  try {
    for (const count of runnerCounts) {
      const workers: Array<ChildProcess> = []
      for (let i = 0; i < count; i++) workers.push(await startWorker(await freePort(), databaseUrl, ["--max-syncs", String(maxSyncs)], path.join(root, "bin/rest-connector.mjs")))
      const datasets = Array.from({ length: syncs }, (_, i) => `bench_cluster_${stamp}_${count}_${i}`)
      const { busyRate, cpu, elapsed: seconds } = await Effect.gen(function*() {
        const configHash = yield* Sync.configHash(config)
        // New runners take a few of the cluster's assignment rounds (3 s each) to share the
        // shards out; syncs submitted before that wait for them. Not part of the time.
        yield* Effect.sleep(Duration.seconds(settleSeconds))
        yield* freshCatalog
        const syncAll = (run: string) =>
          Effect.forEach(
            datasets,
            (dataset, i) => Sync.SyncWorkflow.execute({ config, configHash, dataset, tenant: `t${i}`, run }),
            { concurrency: "unbounded", discard: true }
          )
        // --repeat: each dataset synced once untimed, so the timed syncs are repeat syncs of
        // existing tables (a schedule's steady state), without a new dataset's DDL.
        if (repeat) yield* syncAll(`bench-${stamp}-${count}-first`)
        const sql = yield* SqlClient.SqlClient
        const [{ epoch: startedAt }] = yield* sql.unsafe<{ epoch: number }>("SELECT extract(epoch FROM clock_timestamp())::float8 AS epoch").withoutTransform
        const cpuBefore = cpuNow(workers)
        const started = performance.now()
        yield* syncAll(`bench-${stamp}-${count}`)
        const elapsed = (performance.now() - started) / 1000
        const cpu = cpuSince(cpuBefore, cpuNow(workers))
        // How the cluster's sharding spread the syncs over the runners (each sync's shard is a
        // hash of its id), and when each runner finished its last one.
        const spread = yield* sql.unsafe<{ runner: string | null; n: number; last: number }>(
          `SELECT runner, count(*)::int AS n, max(extract(epoch FROM finished_at))::float8 AS last FROM rc_cluster.syncs
          WHERE dataset LIKE $1 AND run = $2 GROUP BY runner ORDER BY n DESC`,
          [`bench_cluster_${stamp}_${count}_%`, `bench-${stamp}-${count}`]
        ).withoutTransform
        shares.push(spread.map((r) => r.n))
        // While every runner still had work: the cluster's throughput without the tail, where
        // the runners with smaller shares wait for the busiest one.
        const busyEnd = Math.min(...spread.map((r) => r.last))
        const [{ n: doneWhileBusy }] = yield* sql.unsafe<{ n: number }>(
          `SELECT count(*)::int AS n FROM rc_cluster.syncs WHERE dataset LIKE $1 AND run = $2 AND extract(epoch FROM finished_at) <= $3`,
          [`bench_cluster_${stamp}_${count}_%`, `bench-${stamp}-${count}`, busyEnd]
        ).withoutTransform
        const busyRate = (doneWhileBusy / (busyEnd - startedAt)) * 60
        for (const dataset of datasets) {
          yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE`)
          yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}_staging" CASCADE`)
        }
        return { elapsed, cpu, busyRate }
      }).pipe(Effect.provide(clientLayer(clusterDatabase(Redacted.make(databaseUrl), 2)).pipe(Layer.provideMerge(database))), Effect.runPromise)
      const rssMb = Math.max(...workers.map((w) => peakRssMb(w.pid)))
      peak = Math.max(peak, rssMb)
      const perMin = (syncs / seconds) * 60
      rates.push(perMin)
      console.log(`${count} runner(s), max ${maxSyncs} sync(s) each: ${syncs} syncs of ${pages} pages (${latencyMs} ms each) in ${seconds.toFixed(1)} s, ${perMin.toFixed(1)} syncs/min (${busyRate.toFixed(1)} while every runner had work), peak RSS per runner ${rssMb.toFixed(0)} MB, CPU while timed: runners ${cpu.runners.map((c) => c.toFixed(1)).join("+")} s, Postgres ${cpu.postgres.toFixed(1)} s, API and client ${cpu.bench.toFixed(1)} s, syncs per runner ${shares.at(-1)?.join("/") ?? "?"}${balanceNote(shares.at(-1) ?? [])}`)
      await Promise.all(workers.map(stopWorker))
    }
  } finally {
    api.close()
    await rm(dir, { recursive: true, force: true })
  }
  const ratio = rates.length > 1 ? rates[rates.length - 1] / rates[0] : 1
  console.log(`cluster: runners=${runnerCounts.join(",")} syncs_per_min=${rates.map((r) => r.toFixed(1)).join(",")} ratio=${ratio.toFixed(2)} peak_rss_mb=${peak.toFixed(0)}`)
}

await main()
