/**
 * SIGINT and SIGTERM stop a run cleanly: what committed stays, the load in flight rolls back
 * and its staging tables are dropped, the summary says which is which, and the exit code
 * tells a scheduler it was interrupted (130 for SIGINT, 143 for SIGTERM). Through the real CLI,
 * against a loopback API whose second resource hangs on its second page.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Embedded from "../../src/internal/load/embedded.js"
import { RunReport } from "../../src/RunReport.js"
import { uniqueDatasetName } from "../support/database.js"

const root = path.resolve(import.meta.dirname, "../..")
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

interface Outcome {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

describe("signals", () => {
  let dir: string
  let server: Server
  let baseUrl: string
  /** Called when the slow resource asks for its second page (which never comes). */
  let onHang: () => void = () => {}

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-signals-"))
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      res.setHeader("content-type", "application/json")
      if (url.pathname === "/fast") res.end(JSON.stringify([{ id: 1 }, { id: 2 }]))
      else if (url.searchParams.get("p") !== "2") res.end(JSON.stringify({ items: [{ id: 1 }], next: `${baseUrl}slow?p=2` }))
      else onHang() // no answer: the run waits here until it is interrupted
    })
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
    const address = server.address()
    baseUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs the CLI until the slow resource hangs, sends `signals`, and waits for the exit. */
  const interruptedRun = async (
    dataset: string,
    signals: ReadonlyArray<NodeJS.Signals>,
    extra: ReadonlyArray<string> = []
  ): Promise<Outcome> => {
    const config = path.join(dir, `${dataset}.json`)
    await writeFile(config, JSON.stringify({
      client: { base_url: baseUrl },
      resources: [
        { name: "fast", primary_key: "id", write_disposition: "merge", endpoint: { path: "fast", paginator: "single_page" } },
        {
          name: "slow",
          primary_key: "id",
          write_disposition: "merge",
          endpoint: { path: "slow", data_selector: "items", paginator: { type: "json_link", next_url_path: "next" } }
        }
      ]
    }))
    const storage = serverUrl !== undefined ? ["--database-url", serverUrl] : ["--data-dir", path.join(dir, dataset)]
    const child = spawn(process.execPath, [
      path.join(root, "bin/rest-connector.mjs"),
      "run",
      config,
      "--dataset",
      dataset,
      "--concurrency",
      "1",
      ...storage,
      ...extra
    ], { cwd: root, env: { ...process.env, DATABASE_URL: "" } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += String(d)))
    child.stderr.on("data", (d) => (stderr += String(d)))
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)))
    await new Promise<void>((hung) => (onHang = hung))
    for (const signal of signals) child.kill(signal)
    return { code: await exited, stdout, stderr }
  }

  /** Row counts of the dataset's tables, and the staging tables left behind. */
  const stored = (dataset: string) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const tables = yield* sql.unsafe<{ schema: string; name: string }>(
        `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
         WHERE table_schema IN ($1, $2) AND table_name NOT LIKE '\\_rc\\_%' ORDER BY 1, 2`,
        [dataset, `${dataset}_staging`]
      )
      const fast = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM "${dataset}".fast`)
      // The run's report, kept when the signal stopped it.
      // A second signal exits at once, maybe before the run wrote (or created) its table of reports.
      const [{ present }] = yield* sql.unsafe<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [`"${dataset}"._rc_runs`])
      const runs = present
        ? yield* sql.unsafe<{ doc: string }>(`SELECT document::text AS doc FROM "${dataset}"._rc_runs ORDER BY id`)
        : []
      yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE; DROP SCHEMA IF EXISTS "${dataset}_staging" CASCADE`)
      return { tables: tables.map((t) => `${t.schema}.${t.name}`), fastRows: fast[0]?.n, runs: runs.map((r): unknown => JSON.parse(r.doc)) }
    }).pipe(
      Effect.provide(Embedded.databaseLayer({ databaseUrl: serverUrl, dataDir: serverUrl === undefined ? path.join(dir, dataset) : undefined })),
      Effect.runPromise
    )

  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it(`${signal}: exit ${code}; what committed stays, the load in flight rolls back and leaves no staging table`, async () => {
      const dataset = uniqueDatasetName("sig")
      const outcome = await interruptedRun(dataset, [signal])
      expect(outcome.code, outcome.stderr).toBe(code)
      expect(outcome.stderr).toContain(`${signal}: stopping`)
      expect(outcome.stdout).toContain(`dataset ${dataset}: interrupted`)
      expect(outcome.stdout).toMatch(/fast\s+fast\s+committed\s+2/)
      expect(outcome.stdout).toMatch(/slow\s+slow\s+interrupted, rolled back/)
      const after = await stored(dataset)
      expect(after.fastRows).toBe(2)
      expect(after.tables).toEqual([`${dataset}.fast`])
    })
  }

  it("with --json, an interrupted run prints one document saying the signal and each resource's status", async () => {
    const dataset = uniqueDatasetName("sig")
    const outcome = await interruptedRun(dataset, ["SIGTERM"], ["--json"])
    expect(outcome.code, outcome.stderr).toBe(143)
    const report = Schema.decodeUnknownSync(Schema.parseJson(RunReport))(outcome.stdout)
    expect(report).toMatchObject({ version: 1, status: "interrupted", interrupted: "SIGTERM", dataset, error: null })
    expect(report.load_id).toMatch(/^\d+\.\d{6}$/)
    expect(report.resources).toMatchObject([
      { resource: "fast", status: "committed", rows: 2, tables: { fast: 2 } },
      { resource: "slow", status: "interrupted", rows: 0, tables: {} }
    ])
    expect((await stored(dataset)).runs).toEqual([JSON.parse(outcome.stdout)])
  })

  it("a second SIGINT exits at once with 130", async () => {
    const dataset = uniqueDatasetName("sig")
    const outcome = await interruptedRun(dataset, ["SIGINT", "SIGINT"])
    expect(outcome.code, outcome.stderr).toBe(130)
    await stored(dataset)
  })
})
