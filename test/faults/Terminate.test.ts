/**
 * The database ends the CLI's connections mid-run (`pg_terminate_backend`, as a failover, an
 * admin or an idle-session killer would): the run ends with exit 0 or 1, never a hang or a
 * crash, the dataset keeps its invariants, and a following undisturbed run converges to the
 * tables of a run that was never disturbed. Against the Postgres server only (TEST_DATABASE_URL):
 * the CLI's connections are told apart by an application_name of their own in the URL.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import { uniqueDatasetName } from "../support/database.js"
import { writeAnalyticsConfig } from "./analyticsConfig.js"
import { type CliOutcome, describeOutcome, SECRET, startCli } from "./cliProcess.js"
import { snapshot, stagingLeftovers, violations } from "./invariants.js"
import { faultSeed, makeRng } from "./prng.js"
import { dropDatasets, serverUrl, type Storage, storageArgs, withApplicationName, withDatabase } from "./storage.js"

const seed = faultSeed()
const ROUNDS = 10
const ROWS = 500

/** Ends every connection that carries `applicationName`; how many there were. */
const terminate = (applicationName: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ readonly n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = $1`,
      [applicationName]
    )).pipe(Effect.map((rows) => Number(rows[0]?.n ?? 0)))

const sleep = (millis: number) => new Promise<void>((done) => setTimeout(done, millis))

describe.skipIf(serverUrl === undefined)(`database backends terminated mid-run (FAULT_SEED=${seed})`, () => {
  const rng = makeRng(seed)
  let api: DemoApi
  let dir: string
  let config: string
  const storage: Storage = { kind: "server", url: serverUrl ?? "" }
  const reference = uniqueDatasetName("ft_ref")
  const target = uniqueDatasetName("ft")
  let expected: Record<string, string>
  let estimate = 2000
  const outputs: Array<CliOutcome> = []
  const start = (dataset: string, url?: string) =>
    startCli(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageArgs(storage, url)])

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-faults-term-"))
    config = await writeAnalyticsConfig(dir)
    api = await startDemoApi({ rows: ROWS, token: SECRET })
  })
  afterAll(async () => {
    await api.close()
    await dropDatasets(storage, [reference, target])
    await rm(dir, { recursive: true, force: true })
  })

  it("reference: an undisturbed run", async () => {
    const outcome = await start(reference).done
    outputs.push(outcome)
    expect(outcome.code, outcome.stderr).toBe(0)
    estimate = outcome.millis
    expected = await withDatabase(storage, snapshot(reference))
  })

  it(`${ROUNDS} runs whose connections are ended at random moments: exit 0 or 1, no hang, invariants hold`, async () => {
    const lines: Array<string> = []
    let disturbed = 0
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const name = `rc_faults_${process.pid}_${round}`
        const cli = start(target, withApplicationName(storage.url, name))
        // Past the CLI's start (before it, no connection is open yet), or just after a resource is done.
        const afterDone = rng.chance(0.4)
        const moments = Array.from({ length: rng.int(1, 3) }, () => Math.round((0.35 + rng.next() * 0.65) * estimate))
          .sort((a, b) => a - b)
        const counts: Array<number> = []
        if (afterDone && (await cli.stderrMatches(/: done, /, 1))) counts.push(await withDatabase(storage, terminate(name)))
        else {
          let elapsed = 0
          for (const at of moments) {
            await sleep(at - elapsed)
            elapsed = at
            counts.push(await withDatabase(storage, terminate(name)))
          }
        }
        const outcome = await cli.done
        outputs.push(outcome)
        const when = afterDone ? "after the first resource was done" : `at ${moments.join(", ")} ms`
        const what = `round ${round}: ${counts.join("+")} connection(s) ended ${when}: ${describeOutcome(outcome)}`
        if (counts.some((n) => n > 0)) disturbed++
        lines.push(`${what}${outcome.code === 1 ? ` (${firstError(outcome.stderr)})` : ""}`)
        expect([0, 1], `${what}\n${outcome.stderr}`).toContain(outcome.code)
        const broken = await withDatabase(storage, violations(target))
        expect(broken, `${what} (FAULT_SEED=${seed})`).toEqual([])
      }
    } finally {
      console.log(lines.map((l) => `[faults seed=${seed}] ${l}`).join("\n"))
    }
    // Most rounds must have had connections to end, or this tested little.
    expect(disturbed).toBeGreaterThanOrEqual(ROUNDS / 2)
  })

  it("a run let finish afterwards converges to the undisturbed tables and state", async () => {
    const outcome = await start(target).done
    outputs.push(outcome)
    expect(outcome.code, outcome.stderr).toBe(0)
    const [after, broken, leftovers] = await withDatabase(
      storage,
      Effect.all([snapshot(target), violations(target), stagingLeftovers(target)])
    )
    expect(broken).toEqual([])
    expect(after, `FAULT_SEED=${seed}`).toEqual(expected)
    expect(leftovers).toEqual([])
  })

  it("no secret in any output", () => {
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(SECRET)
  })
})

const firstError = (stderr: string) => (stderr.split("\n").find((l) => l.startsWith("error:")) ?? "no error line").slice(0, 200)
