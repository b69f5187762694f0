/**
 * The commands that look after a dataset, end to end through the real CLI on each database
 * (the embedded one in a temp folder; the Postgres server too when TEST_DATABASE_URL is set),
 * with the demo API for data: `loads`, `state`, `reset`, `drop`, `query` and `serve-db`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import * as Embedded from "../../src/internal/load/embedded.js"
import { uniqueDatasetName } from "../support/database.js"
import { type CliResult, runCli } from "../support/runCli.js"

const TOKEN = "tok-ops-5d1e"
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

const paginator = { type: "cursor", limit: 50, cursor_param: "next", stop_condition: "{{ response.get('hasNext', {}) == False }}" }
const incremental = { cursor_path: "updatedAt", initial_value: "2000-01-01T00:00:00Z" }

/** Links, snippets (an incremental cursor) and reports per link (a cursor per parent record). */
const opsConfig = (baseUrl: string) => ({
  client: {
    base_url: baseUrl,
    auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "ANALYTICS_API_KEY" }, location: "header" }
  },
  resource_defaults: { primary_key: "id", write_disposition: "merge", endpoint: { paginator } },
  resources: [
    { name: "links", endpoint: { path: "/appointmentlinks/me", data_selector: "data" } },
    { name: "snippets", endpoint: { path: "/codesnippets", data_selector: "results", incremental } },
    {
      name: "link_reports",
      write_disposition: "append",
      endpoint: { path: "/insightsreports", data_selector: "results", params: { owner: "{resources.links.id}" }, incremental }
    }
  ]
})

const targets = [
  { name: "embedded database", server: false },
  ...(serverUrl === undefined ? [] : [{ name: "Postgres server", server: true }])
]

describe.each(targets)("dataset commands on the $name", (target) => {
  let api: DemoApi
  let dir: string
  let config: string
  const dataset = uniqueDatasetName("ops")
  const storage = () => (target.server ? ["--database-url", serverUrl ?? ""] : ["--data-dir", path.join(dir, "db")])
  const cli = (args: ReadonlyArray<string>, env?: Record<string, string | undefined>): Promise<CliResult> =>
    runCli([...args, "--dataset", dataset, ...storage()], { ANALYTICS_API_KEY: TOKEN, ...env })
  const json = (result: CliResult): unknown => {
    expect(result.code, result.stderr).toBe(0)
    return JSON.parse(result.stdout)
  }

  /** Runs SQL on the test's database (not through the CLI). */
  const sqlQuery = <A extends object>(text: string) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text)).pipe(
      Effect.provide(Embedded.databaseLayer(target.server ? { databaseUrl: serverUrl } : { dataDir: path.join(dir, "db") })),
      Effect.runPromise
    )

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-ops-"))
    api = await startDemoApi({ rows: { appointment_links: 4, code_snippets: 30, insights_reports: 10 }, token: TOKEN })
    config = path.join(dir, "ops.json")
    await writeFile(config, JSON.stringify(opsConfig(api.baseUrl), null, 2))
  })
  afterAll(async () => {
    await api.close()
    if (target.server) {
      await sqlQuery(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE; DROP SCHEMA IF EXISTS "${dataset}_staging" CASCADE`).catch(() => undefined)
    }
    await rm(dir, { recursive: true, force: true })
  })

  it("loads: a dataset without loads says so; after two runs, each resource's loads newest first", async () => {
    const empty = await cli(["loads", config])
    expect(empty.code, empty.stderr).toBe(0)
    expect(empty.stdout).toContain(`dataset '${dataset}' has no loads yet`)
    expect(json(await cli(["loads", config, "--json"]))).toEqual([])

    for (let i = 0; i < 2; i++) {
      const run = await cli(["run", config])
      expect(run.code, run.stderr).toBe(0)
    }
    const loads = json(await cli(["loads", config, "--json"]))
    expect(Array.isArray(loads)).toBe(true)
    if (!Array.isArray(loads)) return
    expect(loads).toHaveLength(6)
    const ids: Array<string> = loads.map((l: { loadId: string }) => l.loadId)
    expect([...ids].sort().reverse()).toEqual(ids)
    expect(new Set(ids).size).toBe(2)
    const newestLinks = loads.find((l: { resource: string }) => l.resource === "links")
    expect(newestLinks).toMatchObject({
      loadId: ids[0],
      status: "committed",
      tables: ["links", "links__attendees", "links__tags"],
      rowsPerTable: { links: 4 }
    })
    expect(newestLinks.rows).toBe(Object.values<number>(newestLinks.rowsPerTable).reduce((a, b) => a + b, 0))
    expect(Date.parse(newestLinks.finishedAt)).toBeGreaterThanOrEqual(Date.parse(newestLinks.startedAt))

    const text = await cli(["loads", config, "--limit", "2"])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/^load id\s+resource\s+tables\s+rows\s+started\s+finished\s+status\n/)
    expect(text.stdout.trim().split("\n")).toHaveLength(4)
    expect(text.stdout).toContain(ids[0])
    expect(text.stderr).toContain("the 2 newest of 6 loads; --limit 0 shows all")
  })
})
