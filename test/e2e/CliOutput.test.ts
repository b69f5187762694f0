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
    // The API's concurrency: three cursor chains, so at most three requests in flight, no throttles.
    expect(report.http?.host).toBe(new URL(api.baseUrl).host)
    expect(report.http?.max_in_flight).toBeGreaterThanOrEqual(1)
    expect(report.http?.max_in_flight).toBeLessThanOrEqual(3)
    expect(report.http?.throttles).toBe(0)
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

  it("by default each retry is a line on stderr as it happens, and the summary counts the API's throttles", async () => {
    api.setFaults({ failures: [{ resource: "code_snippets", page: 2, status: 429, times: 1 }] })
    try {
      const result = await run(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageFlags(dataDir), "--resources", "code_snippets"])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toMatch(
        /^resource 'code_snippets': GET http:\/\/127\.0\.0\.1:\d+\/v1\/codesnippets\?limit=50\S* failed \(HTTP 429\); retry 1 of 3 in \d\.\ds$/m
      )
      expect(result.stdout).toMatch(/code_snippets\s+code_snippets\s+committed\s+60/)
      expect(result.stdout).toContain(`${new URL(api.baseUrl).host}: up to 1 request in flight (limit 4 at the end), 1 throttled response (429/503`)
    } finally {
      api.setFaults({ failures: [] })
    }
  })

  it("--quiet: nothing on stdout or stderr when all goes well", async () => {
    const result = await run(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageFlags(dataDir), "--quiet"])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe("")
    expect(result.stderr).toBe("")
  })

  it("--log-level error is --quiet", async () => {
    const result = await run(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageFlags(dataDir), "--log-level", "error"])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout + result.stderr).toBe("")
  })

  it("--quiet still prints errors", async () => {
    const result = await run(["run", config, "--base-url", api.baseUrl, "--dataset", dataset, ...storageFlags(dataDir), "-q"], {
      ANALYTICS_API_KEY: "wrong-token-output-77"
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr.trim().split("\n").every((line) => line.startsWith("error: "))).toBe(true)
    expect(result.stderr).toContain("failed: HTTP 401")
  })

  it("--verbose --log-format json: every stderr line is a JSON object, one per request among them", async () => {
    const result = await run([
      "run",
      config,
      "--base-url",
      api.baseUrl,
      "--dataset",
      dataset,
      ...storageFlags(dataDir),
      "--resources",
      "appointment_links",
      "--verbose",
      "--log-format",
      "json"
    ])
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stderr.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>)
    for (const line of lines) {
      expect(typeof line["time"]).toBe("string")
      expect(["debug", "info", "warn", "error"]).toContain(line["level"])
      expect(typeof line["message"]).toBe("string")
    }
    const requests = lines.filter((l) => l["event"] === "request")
    expect(requests.length).toBe(2)
    expect(requests[0]).toMatchObject({ level: "debug", resource: "appointment_links", method: "GET", status: 200 })
    expect(requests[0]["url"]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/appointmentlinks\/me\?limit=50$/)
    expect(typeof requests[0]["ms"]).toBe("number")
    expect(lines.some((l) => l["event"] === "progress" && l["state"] === "done" && l["rows"] === 60)).toBe(true)
  })

  it("--quiet and --verbose together are a usage error", async () => {
    const result = await run(["run", config, "--quiet", "--verbose"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--quiet and --verbose cannot be used together")
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

  it("no secret and no ANSI code (the output is piped) appears in any output", () => {
    for (const o of outputs) {
      expect(o.stdout + o.stderr).not.toContain("\x1b")
      expect(o.stdout + o.stderr).not.toContain(TOKEN)
      expect(o.stdout + o.stderr).not.toContain("wrong-token-output-77")
    }
  })
})
