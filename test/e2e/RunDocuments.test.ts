/**
 * Each CLI run keeps its report (the `run --json` document) in the dataset's `_rc_runs`: a run
 * that committed, and one whose resources all failed, on the embedded database (and the
 * Postgres server when TEST_DATABASE_URL is set).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import * as Embedded from "../../src/internal/load/embedded.js"
import { RunReport } from "../../src/internal/pipeline/runReport.js"
import { uniqueDatasetName } from "../support/database.js"
import { OPS_TOKEN, runOps, storageArgs, writeOpsConfig } from "../support/opsDataset.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined
const targets = [
  { name: "embedded database", server: false },
  ...(serverUrl === undefined ? [] : [{ name: "Postgres server", server: true }])
]

describe.each(targets)("run documents on the $name", { timeout: 240_000 }, (target) => {
  let api: DemoApi
  let dir: string
  let config: string
  const dataset = uniqueDatasetName("runs")

  const documents = () =>
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      sql.unsafe<{ readonly status: string; readonly load_id: string | null; readonly doc: string }>(
        `SELECT status, load_id, document::text AS doc FROM "${dataset}"._rc_runs ORDER BY id`
      )).pipe(
        Effect.provide(Embedded.databaseLayer(target.server ? { databaseUrl: serverUrl } : { dataDir: path.join(dir, "db") })),
        Effect.runPromise
      )

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-runs-"))
    api = await startDemoApi({ rows: { appointment_links: 3, code_snippets: 20, insights_reports: 5 }, token: OPS_TOKEN })
    config = await writeOpsConfig(dir, api)
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("keeps each run's --json document, a failed run's too", async () => {
    const storage = storageArgs(target.server, dir)
    const ok = await runOps(config, dataset, storage)
    expect(ok.code, ok.stderr).toBe(0)
    const failed = await runOps(config, dataset, storage, "wrong-token")
    expect(failed.code).toBe(1)
    expect(failed.stderr).not.toContain("wrong-token")

    const rows = await documents()
    expect(rows.map((r) => r.status)).toEqual(["committed", "failed"])
    const printed = [ok.stdout, failed.stdout].map((out) => JSON.parse(out))
    expect(rows.map((r) => JSON.parse(r.doc))).toEqual(printed)
    for (const doc of printed) expect(Schema.is(RunReport)(doc)).toBe(true)
    expect(rows[0]?.load_id).toBe(printed[0].load_id)

    // The timeline: every committed resource started, got a page, ended fetching and committed in that order.
    const first = Schema.decodeUnknownSync(RunReport)(printed[0])
    expect(first.started_at).toBeDefined()
    for (const r of first.resources) {
      expect(r.status).toBe("committed")
      const times = [r.started_at, r.first_page_at, r.fetched_at, r.finished_at].map((t) => Date.parse(t ?? ""))
      expect(times.every(Number.isFinite), JSON.stringify(r)).toBe(true)
      expect([...times].sort((a, b) => a - b)).toEqual(times)
    }
    const second = Schema.decodeUnknownSync(RunReport)(printed[1])
    expect(second.resources.some((r) => r.status === "failed" && (r.error ?? "").includes("401"))).toBe(true)
  })
})
