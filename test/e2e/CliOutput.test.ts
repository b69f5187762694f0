/**
 * What the CLI prints for scripts and schedulers, through the real CLI against the demo API:
 * `run --json` (one RunReport document on stdout, nothing else), and the exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import * as Embedded from "../../src/internal/load/embedded.js"
import { RunReport } from "../../src/RunReport.js"
import { type CliResult, root, runCli, storageFlags } from "../support/cli.js"
import { uniqueDatasetName } from "../support/database.js"

const TOKEN = "tok-output-51c0ffee"
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined
const config = path.join(root, "examples/analytics/analytics.json")
const decodeReport = Schema.decodeUnknownSync(Schema.parseJson(RunReport))

describe("rest-connector output for scripts", () => {
  let api: DemoApi
  let dataDir: string
  const dataset = uniqueDatasetName("out")
  const outputs: Array<CliResult> = []

  const run = async (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) => {
    const result = await runCli(args, { env: { ANALYTICS_API_KEY: TOKEN, ...env } })
    outputs.push(result)
    return result
  }
  const runJson = (env?: Record<string, string | undefined>, extra: ReadonlyArray<string> = []) =>
    run(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageFlags(dataDir), "--json", ...extra], env)

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "rc-output-"))
    api = await startDemoApi({ rows: 60, token: TOKEN })
  })
  afterAll(async () => {
    await api.close()
    if (serverUrl !== undefined) {
      await Effect.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE; DROP SCHEMA IF EXISTS "${dataset}_staging" CASCADE`)).pipe(
            Effect.provide(Embedded.databaseLayer({ databaseUrl: serverUrl })),
            Effect.ignore
          )
      )
    }
    await rm(dataDir, { recursive: true, force: true })
  })

  it("run --json: one versioned document on stdout with each resource's tables, rows, pages and requests (exit 0)", async () => {
    const result = await runJson()
    expect(result.code, result.stderr).toBe(0)
    const report = decodeReport(result.stdout)
    expect(report.version).toBe(1)
    expect(report.status).toBe("committed")
    expect(report.dataset).toBe(dataset)
    expect(report.database).toBe(serverUrl === undefined ? "embedded" : "postgres")
    expect(report.load_id).toMatch(/^\d+\.\d{6}$/)
    expect(report.interrupted).toBeNull()
    expect(report.error).toBeNull()
    expect(report.resources.map((r) => r.resource)).toEqual(["appointment_links", "code_snippets", "insights_reports"])
    const links = report.resources[0]
    expect(links).toMatchObject({ table: "appointment_links", status: "committed", rows: 60, pages: 2, requests: 2, retries: 0, error: null })
    expect(links.tables["appointment_links"]).toBe(60)
    expect(Object.keys(links.tables)).toEqual(expect.arrayContaining(["appointment_links__tags", "appointment_links__attendees"]))
    // Progress stays on stderr.
    expect(result.stderr).toContain("loading 3 resource(s)")
  })

  it("run --json: a failed resource is in the document with its error, secrets redacted (exit 1)", async () => {
    const result = await runJson({ ANALYTICS_API_KEY: "wrong-token-output-77" })
    expect(result.code).toBe(1)
    const report = decodeReport(result.stdout)
    expect(report.status).toBe("failed")
    expect(report.resources[0].status).toBe("failed")
    expect(report.resources[0].error).toMatch(/resource 'appointment_links', page 1: GET http:\/\/127\.0\.0\.1:\d+\/v1\/appointmentlinks\/me\?limit=50 failed: HTTP 401/)
    expect(report.resources[0].tables).toEqual({})
  })

  it("run --json: a usage error (exit 2) prints no document", async () => {
    const result = await run(["run", config, "--json", "--no-such-option"])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("--no-such-option")
  })

  it("run --json: a config error (exit 2) prints no document", async () => {
    const result = await run(["run", path.join(root, "test/e2e/fixtures/unknown-paginator.yaml"), "--json", ...storageFlags(dataDir)])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("resources[0].endpoint.paginator.type")
  })

  it("no secret appears in any output", () => {
    for (const o of outputs) {
      expect(o.stdout + o.stderr).not.toContain(TOKEN)
      expect(o.stdout + o.stderr).not.toContain("wrong-token-output-77")
    }
  })
})
