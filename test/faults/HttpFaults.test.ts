/**
 * A hostile API through the real CLI: connections reset mid-body, bodies shorter than their
 * Content-Length, bodies that stall, 429 storms, HTML with status 200, gzip and redirect loops.
 * After each run: the exit code says what happened, the message names the resource, the other
 * resource still commits, and the dataset is exactly as a clean run left it (no duplicate, no
 * orphan, only committed loads, a canary table of ours untouched).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { uniqueDatasetName } from "../support/database.js"
import { createCanary } from "./canary.js"
import { type CliOutcome, outputProblems, runCli, SECRET } from "./cliProcess.js"
import { type Fault, type FaultPlan, type FaultServer, faultConfig, PAGES, startFaultServer } from "./faultServer.js"
import { snapshot, violations } from "./invariants.js"
import { faultSeed, makeRng } from "./prng.js"
import { dropDatasets, type Storage, storageArgs, storageFor, withDatabase } from "./storage.js"

const seed = faultSeed()

describe(`HTTP faults through the CLI (FAULT_SEED=${seed})`, () => {
  const rng = makeRng(seed)
  let server: FaultServer
  let dir: string
  let storage: Storage
  let config: string
  const dataset = uniqueDatasetName("fh")
  let clean: Record<string, string>
  const outputs: Array<CliOutcome> = []
  /** The items page that breaks in this run of the suite. */
  const page = rng.int(1, PAGES)

  const run = async (plan: FaultPlan) => {
    server.setPlan(plan)
    const outcome = await runCli(["run", config, "--dataset", dataset, ...storageArgs(storage)])
    outputs.push(outcome)
    return outcome
  }

  /** Invariants hold and every table (the canary included) is as the clean run left it. */
  const unharmed = async () => {
    const [after, broken] = await withDatabase(storage, Effect.all([snapshot(dataset), violations(dataset)]))
    expect(broken).toEqual([])
    expect(after).toEqual(clean)
  }

  const failedItems = (outcome: CliOutcome) => {
    expect(outcome.code, outcome.stderr).toBe(1)
    expect(outcome.stderr).toContain("resource 'items'")
    expect(outcome.stdout).toMatch(/items\s+items\s+failed/)
    expect(outcome.stdout).toMatch(/others\s+others\s+committed/)
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-faults-http-"))
    storage = storageFor(path.join(dir, "db"))
    server = await startFaultServer(SECRET)
    config = path.join(dir, "faults.json")
    await writeFile(config, JSON.stringify(faultConfig(server.url)))
    await withDatabase(storage, createCanary(dataset))
    const first = await run(() => undefined)
    expect(first.code, first.stderr).toBe(0)
    clean = await withDatabase(storage, snapshot(dataset))
    expect(clean["items"]).toMatch(new RegExp(`^${PAGES * 20}:`))
    expect(clean["items__parts"]).toMatch(/^\d+:/)
  })
  afterAll(async () => {
    await server.close()
    if (storage.kind === "server") await dropDatasets(storage, [dataset])
    await rm(dir, { recursive: true, force: true })
  })

  const messages: Record<"reset" | "truncate" | "stall", RegExp> = {
    reset: /the connection broke while the body was being read/,
    truncate: /the connection broke while the body was being read/,
    stall: /within 1s \(client\.timeout\)/
  }
  for (const fault of ["reset", "truncate", "stall"] as const) {
    it(`${fault} on every attempt of items page ${page}: exit 1 naming the resource and why, others commit, nothing damaged`, async () => {
      const outcome = await run((r) => (r.resource === "items" && r.page === page ? fault : undefined))
      failedItems(outcome)
      expect(outcome.stderr).toMatch(messages[fault])
      expect(outcome.stderr).toContain("3 attempts")
      await unharmed()
    })

    it(`${fault} on the first attempt of items page ${page} only: retried, exit 0, every row once`, async () => {
      const outcome = await run((r) => (r.resource === "items" && r.page === page && r.attempt === 1 ? fault : undefined))
      expect(outcome.code, outcome.stderr).toBe(0)
      await unharmed()
    })
  }

  it("a 429 storm (every request, Retry-After: 0): retried, then both resources fail with exit 1 saying HTTP 429", async () => {
    const before = server.requests()
    const outcome = await run(() => "429")
    expect(outcome.code, outcome.stderr).toBe(1)
    expect(outcome.stderr).toMatch(/resource 'items'.*HTTP 429/)
    expect(outcome.stderr).toMatch(/resource 'others'.*HTTP 429/)
    // Each resource's first request was tried 3 times (max_retries 2), and no more.
    expect(server.requests() - before).toBe(6)
    await unharmed()
  })

  const storm = rng.int(1, 2)
  it(`a 429 storm over the run's first ${storm} request(s), then quiet: retried, exit 0, every row once`, async () => {
    const base = server.requests()
    const outcome = await run((r) => (r.n <= base + storm ? "429" : undefined))
    expect(outcome.code, outcome.stderr).toBe(0)
    expect(outcome.stdout).toMatch(/items\s+items\s+committed/)
    await unharmed()
  })

  it(`an HTML page with status 200 (items page ${page}) fails the resource, saying it is not JSON`, async () => {
    const outcome = await run((r) => (r.resource === "items" && r.page === page ? "html" : undefined))
    failedItems(outcome)
    expect(outcome.stderr).toMatch(/not valid JSON/)
    await unharmed()
  })

  describe("after gzip/redirect support", () => {
    it("gzip-encoded pages are decoded and loaded", async () => {
      const outcome = await run((): Fault => "gzip")
      expect(outcome.code, outcome.stderr).toBe(0)
      await unharmed()
    })

    it(`a redirect loop (items page ${page}) fails the resource with exit 1, naming it and the redirects`, async () => {
      const outcome = await run((r) => (r.resource === "items" && r.page === page ? "redirect-loop" : undefined))
      failedItems(outcome)
      expect(outcome.stderr).toMatch(/more than \d+ redirects \(client\.max_redirects\), a redirect loop/)
      await unharmed()
    })
  })

  it("no secret and no warning in any output", () => {
    expect(outputs.length).toBeGreaterThan(8)
    expect(outputs.flatMap(outputProblems)).toEqual([])
  })
})
