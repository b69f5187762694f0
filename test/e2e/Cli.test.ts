/**
 * End to end through the real CLI: `node bin/rest-connector.mjs` as a child process, the
 * demo analytics API on a loopback port, and a real database (the Postgres server when
 * TEST_DATABASE_URL is set, else the embedded database in a temp folder). Bad input must
 * fail with a clear message, exit 1, leak no secret, and leave earlier tables as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import * as Embedded from "../../src/internal/load/embedded.js"
import { uniqueDatasetName } from "../support/database.js"

const root = path.resolve(import.meta.dirname, "../..")
const TOKEN = "tok-e2e-7f3a91c2"
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const runCli = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}): Promise<CliResult> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "bin/rest-connector.mjs"), ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: "", ANALYTICS_API_KEY: TOKEN, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      }
    )
  })

const config = path.join(root, "examples/analytics/analytics.json")
const tables = [
  "appointment_links",
  "appointment_links__tags",
  "appointment_links__attendees",
  "code_snippets",
  "code_snippets__tags",
  "code_snippets__files",
  "insights_reports",
  "insights_reports__tags",
  "insights_reports__metrics"
]

describe("rest-connector CLI against the demo API", () => {
  let api: DemoApi
  let dataDir: string
  const dataset = uniqueDatasetName("cli")
  const outputs: Array<CliResult> = []

  const storage = () => (serverUrl !== undefined ? ["--database-url", serverUrl] : ["--data-dir", dataDir])
  const run = async (args: ReadonlyArray<string>, env?: Record<string, string | undefined>) => {
    const result = await runCli(args, env)
    outputs.push(result)
    return result
  }
  const runConfig = (file: string, env?: Record<string, string | undefined>) =>
    run(["run", file, "--base-url", api.baseUrl, "--dataset", dataset, ...storage()], env)

  /** Each table's row count and a digest of its contents (without the load id, which every merge rewrites). */
  const snapshot = () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const out: Record<string, string> = {}
      for (const table of tables) {
        const rows = yield* sql.unsafe<{ n: string; digest: string | null }>(
          `SELECT count(*) AS n, md5(string_agg((to_jsonb(t) - '_rc_load_id')::text, ',' ORDER BY t._rc_id)) AS digest
           FROM "${dataset}"."${table}" t`
        )
        out[table] = `${rows[0].n}:${rows[0].digest}`
      }
      const loads = yield* sql.unsafe<{ resource: string; n: string }>(
        `SELECT resource, count(*) AS n FROM "${dataset}"."_rc_loads" GROUP BY resource ORDER BY resource`
      )
      out["_rc_loads"] = loads.map((l) => `${l.resource}=${l.n}`).join(",")
      return out
    }).pipe(
      Effect.provide(Embedded.databaseLayer({ databaseUrl: serverUrl, dataDir: serverUrl === undefined ? dataDir : undefined })),
      Effect.runPromise
    )

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "rc-cli-"))
    api = await startDemoApi({ rows: 120, token: TOKEN })
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

  let good: Record<string, string>

  it("run: loads the seed connector, prints a summary, and a second run leaves the same rows", async () => {
    const first = await runConfig(config)
    expect(first.stderr).toContain("loading 3 resource(s)")
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/appointment_links\s+appointment_links\s+committed\s+120\s+3\s+3/)
    expect(first.stdout).toMatch(/code_snippets\s+code_snippets\s+committed\s+120/)
    expect(first.stdout).toMatch(/insights_reports__metrics\s+\d+/)
    good = await snapshot()
    expect(good["appointment_links"]).toMatch(/^120:/)
    expect(good["code_snippets"]).toMatch(/^120:/)

    const second = await runConfig(config)
    expect(second.code, second.stderr).toBe(0)
    const again = await snapshot()
    for (const table of tables) expect(again[table], table).toBe(good[table])
    good = again
  })

  it("check: config, secrets and the first page of each resource", async () => {
    const result = await run(["check", config, "--base-url", api.baseUrl])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/appointment_links: ok, first page has 50 record/)
    expect(result.stdout).toMatch(/insights_reports: ok/)
  })

  it("schema: shows the stored tables and columns", async () => {
    const result = await run(["schema", config, "--dataset", dataset, ...storage()])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`${dataset}.appointment_links`)
    expect(result.stdout).toMatch(/created_at\s+timestamptz/)
    expect(result.stdout).toMatch(/owner__email\s+text/)
    expect(result.stdout).toContain("appointment_links__attendees (child of appointment_links, list [\"attendees\"])")
    expect(result.stdout).toMatch(/owner__email\s+text\s+\w+\s+\["owner","email"\]/)
  })

  it("a wrong token (401) fails clearly and changes nothing", async () => {
    api.setVersion(1) // a partial write would now show
    const result = await runConfig(config, { ANALYTICS_API_KEY: "wrong-token-zz9" })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/resource 'appointment_links', page 1: GET http:\/\/127\.0\.0\.1:\d+\/v1\/appointmentlinks\/me\?limit=50 failed: HTTP 401/)
    expect(result.stdout).toMatch(/appointment_links\s+appointment_links\s+failed/)
    expect(await snapshot()).toEqual(good)
  })

  it("a malformed JSON page fails the resource, naming the page URL, and leaves its tables as they were", async () => {
    api.setFaults({ malformedPageAt: { resource: "code_snippets", page: 2 } })
    try {
      const result = await runConfig(config)
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/resource 'code_snippets', page 2: GET http:\/\/127\.0\.0\.1:\d+\/v1\/codesnippets\?limit=50&next=\S+ failed: HTTP 200 the response is not valid JSON/)
      const after = await snapshot()
      for (const table of tables.filter((t) => t.startsWith("code_snippets"))) expect(after[table], table).toBe(good[table])
      // The other resources committed (a failing resource does not undo them).
      expect(after["appointment_links"]).not.toBe(good["appointment_links"])
      good = after
    } finally {
      api.setFaults({ malformedPageAt: undefined })
    }
  })

  it("an unknown paginator type is a config error naming its path (exit 2)", async () => {
    const result = await run(["run", path.join(root, "test/e2e/fixtures/unknown-paginator.yaml"), ...storage()])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("resources[0].endpoint.paginator.type: Expected")
    expect(result.stderr).toContain("\"cursorr\"")
  })

  it("--concurrency below 1 is refused before anything runs", async () => {
    const before = api.stats().requests
    for (const n of ["0", "-1"]) {
      const result = await run(["run", config, "--concurrency", n, "--base-url", api.baseUrl, ...storage()])
      expect(result.code).toBe(2)
      expect(result.stdout + result.stderr).toContain("--concurrency must be at least 1")
    }
    expect(api.stats().requests).toBe(before)
  })

  it("a TypeScript config in a folder of its own (CommonJS to Node, no package.json) loads through tsx", async () => {
    const file = path.join(dataDir, "snippets.ts")
    await writeFile(
      file,
      `interface Snippet { readonly language?: string }
const route = (record: Snippet): string => \`snippets_\${record.language ?? "other"}\`
export default {
  client: { base_url: "http://unused.invalid/", auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "ANALYTICS_API_KEY" }, location: "header" } },
  resources: [{ name: "code_snippets", table_name: route, endpoint: { path: "/codesnippets", data_selector: "results", paginator: "single_page" } }]
}
`
    )
    const result = await run(["check", file, "--base-url", api.baseUrl])
    expect(result.stderr).toContain("config ok: 1 resource(s)")
    expect(result.stderr).not.toContain("cannot load the module")
    expect(result.code).toBe(0)
  })

  it("a TypeScript config outside any project imports defineConfig and Schema from the CLI's own packages", async () => {
    const file = path.join(dataDir, "typed.ts")
    await writeFile(
      file,
      `import { Schema } from "effect"
import { defineConfig } from "effect-rest-connector/RestApiSource"
export default defineConfig({
  client: { base_url: "http://unused.invalid/", auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "ANALYTICS_API_KEY" }, location: "header" } },
  resources: [{ name: "code_snippets", endpoint: { path: "/codesnippets", data_selector: "results", paginator: "single_page" },
    schema: Schema.Struct({ id: Schema.Int, language: Schema.String }) }]
})
`
    )
    const result = await run(["check", file, "--base-url", api.baseUrl])
    expect(result.stderr).toContain("config ok: 1 resource(s)")
    expect(result.stdout).toContain("code_snippets: ok")
    expect(result.code).toBe(0)
  })

  it("a missing secret fails before any request", async () => {
    const before = api.stats().requests
    const result = await runConfig(config, { ANALYTICS_API_KEY: undefined })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("client.auth.api_key: secret 'ANALYTICS_API_KEY'")
    expect(result.stderr).toContain("is not set")
    expect(api.stats().requests).toBe(before)
  })

  it("a record that does not fit the Schema stops the run, naming resource, page, record and the mismatch", async () => {
    api.setVersion(2)
    const result = await runConfig(path.join(root, "test/e2e/fixtures/wrong-schema.ts"))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/resource 'appointment_links', page 1 \(GET http:\/\/127\.0\.0\.1:\d+\/v1\/appointmentlinks\/me\?limit=50\), record 0: record does not match/)
    expect(result.stderr).toContain("Expected number, actual \"apl_000001\"")
    expect(await snapshot()).toEqual(good)
  })

  it("demo: serves the demo API and syncs it into the embedded database", async () => {
    const demoDir = await mkdtemp(path.join(tmpdir(), "rc-demo-"))
    try {
      const result = await run(["demo", "--rows", "60", "--data-dir", demoDir])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stderr).toMatch(/demo analytics API on http:\/\/127\.0\.0\.1:\d+\/v1\//)
      expect(result.stdout).toMatch(/appointment_links\s+appointment_links\s+committed\s+60/)
      expect(result.stdout).toMatch(/insights_reports\s+insights_reports\s+committed\s+60/)
    } finally {
      await rm(demoDir, { recursive: true, force: true })
    }
  })

  it("no secret appears in any output", () => {
    expect(outputs.length).toBeGreaterThan(5)
    for (const o of outputs) {
      expect(o.stdout + o.stderr).not.toContain(TOKEN)
      expect(o.stdout + o.stderr).not.toContain("wrong-token-zz9")
    }
  })

  it("no warning from Node or a driver in any output (three resources lock and load at once)", () => {
    for (const o of outputs) expect(o.stderr).not.toMatch(/Warning:|\(node:\d+\)/)
  })
})
