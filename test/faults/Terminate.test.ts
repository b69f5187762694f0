/**
 * The database ends the CLI's connections mid-run (`pg_terminate_backend`, as a failover, an
 * admin or an idle-session killer would): the run ends with exit 0 or 1, never a hang or a
 * crash, the dataset keeps its invariants, and the undisturbed run that follows converges to
 * the tables and state of a run that was never disturbed (one reference dataset per version of
 * the demo data: the rounds move through versions, so merges update rows and cursors advance).
 * Against the Postgres server only (TEST_DATABASE_URL): the CLI's connections are told apart by
 * an application_name of their own in the URL.
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
import { type CliOutcome, describeOutcome, outputProblems, SECRET, startCli } from "./cliProcess.js"
import { snapshot, stagingLeftovers, violations } from "./invariants.js"
import { faultSeed, makeRng } from "./prng.js"
import { dropDatasets, serverUrl, type Storage, storageArgs, withApplicationName, withDatabase } from "./storage.js"

const seed = faultSeed()
const ROUNDS = 8
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

const firstError = (stderr: string) => (stderr.split("\n").find((l) => l.startsWith("error:")) ?? "no error line").slice(0, 200)

describe.skipIf(serverUrl === undefined)(`database backends terminated mid-run (FAULT_SEED=${seed})`, () => {
  const rng = makeRng(seed)
  let api: DemoApi
  let dir: string
  let config: string
  const storage: Storage = { kind: "server", url: serverUrl ?? "" }
  const target = uniqueDatasetName("ft")
  /** Reference dataset and its snapshot per demo data version, made when first needed. */
  const references = new Map<number, { readonly dataset: string; readonly snapshot: Record<string, string> }>()
  const outputs: Array<CliOutcome> = []
  const start = (dataset: string, url?: string) =>
    startCli(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageArgs(storage, url)])
  /** How long the database part of an undisturbed run takes (from its "loading" line to its exit). */
  let loadMillis = 1000
  const undisturbed = async (dataset: string) => {
    const cli = start(dataset)
    await cli.stderrMatches(/loading \d+ resource/, 1)
    const from = Date.now()
    const outcome = await cli.done
    outputs.push(outcome)
    expect(outcome.code, outcome.stderr).toBe(0)
    loadMillis = Date.now() - from
  }
  const referenceFor = async (version: number) => {
    const known = references.get(version)
    if (known !== undefined) return known.snapshot
    const dataset = uniqueDatasetName(`ft_ref${version}`)
    await undisturbed(dataset)
    const made = { dataset, snapshot: await withDatabase(storage, snapshot(dataset)) }
    references.set(version, made)
    return made.snapshot
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-faults-term-"))
    config = await writeAnalyticsConfig(dir)
    api = await startDemoApi({ rows: ROWS, token: SECRET })
  })
  afterAll(async () => {
    await api.close()
    await dropDatasets(storage, [target, ...[...references.values()].map((r) => r.dataset)])
    await rm(dir, { recursive: true, force: true })
  })

  it(`${ROUNDS} runs whose connections are ended at random moments: exit 0 or 1, no hang, invariants hold, the next run converges`, async () => {
    const lines: Array<string> = []
    let disturbed = 0
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const version = Math.floor(((round - 1) * 4) / ROUNDS)
        api.setVersion(version)
        const expected = await referenceFor(version)
        const name = `rc_faults_${process.pid}_${round}`
        const cli = start(target, withApplicationName(storage.url, name))
        // At a random moment of the part of the run that talks to the database (after its
        // "loading N resource(s)" line), once or twice.
        const moments = Array.from({ length: rng.int(1, 2) }, () => Math.round(rng.next() * loadMillis * 0.8)).sort((a, b) => a - b)
        const counts: Array<number> = []
        if (await cli.stderrMatches(/loading \d+ resource/, 1)) {
          let elapsed = 0
          for (const at of moments) {
            await sleep(at - elapsed)
            elapsed = at
            counts.push(await withDatabase(storage, terminate(name)))
          }
        }
        const outcome = await cli.done
        outputs.push(outcome)
        const when = `${moments.join(" and ")} ms into loading`
        const what = `round ${round} (version ${version}): ${counts.join("+") || "no"} connection(s) ended ${when}: ${describeOutcome(outcome)}`
        if (counts.some((n) => n > 0)) disturbed++
        lines.push(`${what}${outcome.code === 1 ? ` (${firstError(outcome.stderr)})` : ""}`)
        expect([0, 1], `${what}\n${outcome.stderr}`).toContain(outcome.code)
        expect(await withDatabase(storage, violations(target)), `${what} (FAULT_SEED=${seed})`).toEqual([])

        await undisturbed(target)
        const [after, broken, leftovers] = await withDatabase(
          storage,
          Effect.all([snapshot(target), violations(target), stagingLeftovers(target)])
        )
        expect(broken, `after ${what}`).toEqual([])
        expect(after, `the run after ${what} (FAULT_SEED=${seed})`).toEqual(expected)
        expect(leftovers, `after ${what}`).toEqual([])
      }
    } finally {
      console.log(lines.map((l) => `[faults seed=${seed}] ${l}`).join("\n"))
    }
    // Some rounds may end before their moment comes; enough must have had connections to end.
    expect(disturbed).toBeGreaterThanOrEqual(3)
  })

  it("no secret and no warning in any output", () => {
    expect(outputs.flatMap(outputProblems)).toEqual([])
  })
})
