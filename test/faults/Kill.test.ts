/**
 * SIGKILL at random moments of a multi-resource merge run (child tables, incremental state):
 * after every kill the dataset keeps its invariants, and once a run is let finish the tables and
 * the state are those of a run that was never disturbed. On the embedded database a kill takes
 * either the CLI alone (its database process, orphaned, closes the data folder) or the whole
 * process group (the database dies mid-write and must reopen).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
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
import { describeStorage, dropDatasets, type Storage, storageArgs, storageFor, withDatabase } from "./storage.js"

const seed = faultSeed()
const KILLS = 20
const ROWS = 500
const FINAL_VERSION = 3

describe(`SIGKILL during a merge run with child tables and incremental state (FAULT_SEED=${seed})`, () => {
  const rng = makeRng(seed)
  let api: DemoApi
  let dir: string
  let storage: Storage
  let config: string
  const reference = uniqueDatasetName("fk_ref")
  const target = uniqueDatasetName("fk")
  const twice = uniqueDatasetName("fk_twice")
  let referenceMillis = 2000
  let expected: Record<string, string>
  const outputs: Array<CliOutcome> = []
  /** The kill loop, awaited by the next test too: a timed-out loop must not overlap its run. */
  let loop: Promise<void> = Promise.resolve()
  const lines: Array<string> = []
  const log = (line: string) => lines.push(line)
  const flush = () => {
    if (lines.length > 0) console.log(lines.splice(0).map((l) => `[faults seed=${seed}] ${l}`).join("\n"))
  }

  const start = (dataset: string) => startCli(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageArgs(storage)])

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-faults-kill-"))
    storage = storageFor(path.join(dir, "db"))
    config = await writeAnalyticsConfig(dir)
    api = await startDemoApi({ rows: ROWS, token: SECRET, version: FINAL_VERSION })
    log(`kill test on the ${describeStorage(storage)}; replay with FAULT_SEED=${seed}`)
  })
  afterAll(async () => {
    flush()
    await api.close()
    if (storage.kind === "server") await dropDatasets(storage, [reference, target, twice])
    await rm(dir, { recursive: true, force: true })
  })

  it("reference: an undisturbed run of the final dataset version", async () => {
    const outcome = await start(reference).done
    outputs.push(outcome)
    expect(outcome.code, outcome.stderr).toBe(0)
    referenceMillis = outcome.millis
    expected = await withDatabase(storage, snapshot(reference))
    expect(expected["appointment_links"]).toMatch(new RegExp(`^${ROWS}:`))
    expect(Object.keys(expected)).toContain("insights_reports__metrics")
    expect(Object.keys(expected)).toContain("_rc_state:appointment_links")
    log(`reference run took ${referenceMillis} ms`)
  })

  it(`${KILLS} SIGKILLs at random moments each leave no duplicate, no orphan and only committed loads (FAULT_SEED=${seed})`, async ({ signal }) => {
    api.setVersion(0)
    try {
      loop = killLoop(signal)
      await loop
    } finally {
      flush()
    }
  })

  /** Kills until KILLS landed; stops when the test times out (a late run must not overlap the next test's). */
  const killLoop = async (signal: AbortSignal) => {
    let kills = 0
    let finished = 0
    // How long a run takes here (the reference's first run on a fresh data folder also made it).
    let estimate = referenceMillis
    for (let attempt = 1; kills < KILLS && attempt <= KILLS * 3 && !signal.aborted; attempt++) {
      if (api.version() < FINAL_VERSION && rng.chance(0.2)) api.setVersion(api.version() + 1)
      const scope = storage.kind === "embedded" && rng.chance(0.5) ? "group" : "cli"
      // A random moment, or just after a resource said it is done (the others are then often committing).
      const afterDone = rng.chance(0.35) ? rng.int(1, 2) : 0
      const delay = afterDone > 0 ? rng.int(0, 120) : Math.round(rng.next() * estimate * 0.9)
      const moment = afterDone > 0 ? `${delay} ms after done #${afterDone}` : `after ${delay} ms`
      const cli = start(target)
      if (afterDone > 0) await cli.stderrMatches(/: done, /, afterDone)
      await new Promise((done) => setTimeout(done, delay))
      const killed = cli.kill(scope)
      const outcome = await cli.done
      outputs.push(outcome)
      // An orphaned embedded database closes its folder on its own; the checks wait for it.
      const orphanMillis = await cli.groupGone()
      const what = `attempt ${attempt}: ${killed ? `SIGKILL (${scope})` : "no kill"} ${moment}, version ${api.version()}: ${
        describeOutcome(outcome)
      }${killed && scope === "cli" && orphanMillis > 50 ? `, its database process closed ${orphanMillis} ms later` : ""}`
      log(what)
      if (killed) kills++
      else {
        finished++
        estimate = outcome.millis
        expect(outcome.code, `${what}\n${outcome.stderr}`).toBe(0)
      }
      const broken = await withDatabase(storage, violations(target))
      expect(broken, `${what} (FAULT_SEED=${seed})`).toEqual([])
    }
    log(`${kills} kills, ${finished} runs finished before their kill`)
    expect(kills).toBeGreaterThanOrEqual(KILLS)
  }

  it("a run let finish afterwards converges to the undisturbed tables and state, and drops the killed runs' staging", async () => {
    await loop.catch(() => undefined)
    api.setVersion(FINAL_VERSION)
    const outcome = await start(target).done
    outputs.push(outcome)
    expect(outcome.code, outcome.stderr).toBe(0)
    const [after, broken, leftovers] = await withDatabase(storage, snapshotAndChecks(target))
    expect(broken).toEqual([])
    expect(after, `FAULT_SEED=${seed}`).toEqual(expected)
    expect(leftovers).toEqual([])
  })

  // Found by this suite: two PGlite instances on one folder (overlapping cron runs, or a restart
  // while a killed run's database process still closes it) broke it. The data folder's lock
  // makes the second run wait; on a server this is the per-resource lock's business.
  it("two runs started at once on one data folder both finish, one after the other, and the folder stays sound", async () => {
    const [first, second] = await Promise.all([start(twice).done, start(twice).done])
    outputs.push(first, second)
    expect([first.code, second.code], `${first.stderr}\n${second.stderr}`).toEqual([0, 0])
    const [after, broken, leftovers] = await withDatabase(storage, snapshotAndChecks(twice))
    expect(broken).toEqual([])
    expect(after, `FAULT_SEED=${seed}`).toEqual(expected)
    expect(leftovers).toEqual([])
  })

  it("no secret and no warning in any output", () => {
    expect(outputs.flatMap(outputProblems)).toEqual([])
  })
})

const snapshotAndChecks = (dataset: string) =>
  Effect.all([snapshot(dataset), violations(dataset), stagingLeftovers(dataset)])
