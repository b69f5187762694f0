/**
 * The commands that look after a dataset, end to end through the real CLI on each database
 * (the embedded one in a temp folder; the Postgres server too when TEST_DATABASE_URL is set),
 * with the demo API for data: `loads`, `state`, `reset`, `drop`, `query` and `serve-db`.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { execFile, spawn } from "node:child_process"
import { createServer } from "node:http"
import { createInterface } from "node:readline"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import * as Embedded from "../../src/internal/load/embedded.js"
import { uniqueDatasetName } from "../support/database.js"
import { incremental, opsConfig } from "../support/opsDataset.js"
import { type CliResult, hasPsql, hasScript, onTerminal, repoRoot, runCli } from "../support/runCli.js"

const TOKEN = "tok-ops-5d1e"
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

const targets = [
  { name: "embedded database", server: false },
  ...(serverUrl === undefined ? [] : [{ name: "Postgres server", server: true }])
]

describe.each(targets)("dataset commands on the $name", { timeout: 240_000 }, (target) => {
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

    const some = json(await cli(["loads", config, "--json", "--resources", "links, snippets"]))
    expect(Array.isArray(some) ? some.map((l: { resource: string }) => l.resource).sort() : some)
      .toEqual(["links", "links", "snippets", "snippets"])
  })

  it("state: each resource's cursor, its cursors per parent record, and its last load", async () => {
    const states = json(await cli(["state", config, "--json"]))
    expect(states).toMatchObject([
      { resource: "links", inConfig: true, incremental: null, stored: false, lastValue: null, perParentCursors: null },
      {
        resource: "snippets",
        incremental: { cursorPath: "updatedAt", initialValue: "2000-01-01T00:00:00Z" },
        stored: true,
        lastValue: expect.stringMatching(/^20\d\d-/),
        perParentCursors: null
      },
      { resource: "link_reports", parent: "links", stored: true, lastValue: null, perParentCursors: 4 }
    ])
    if (!Array.isArray(states)) return
    const loads = json(await cli(["loads", config, "--json", "--limit", "1"]))
    for (const s of states) expect(s.lastLoad.loadId).toBe(Array.isArray(loads) ? loads[0].loadId : undefined)
    expect(states[1].stateLoadId).toBe(states[1].lastLoad.loadId)

    const text = await cli(["state", config])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toMatch(/resource\s+cursor\s+initial value\s+last value\s+last load\s+finished/)
    expect(text.stdout).toMatch(/snippets\s+updatedAt\s+2000-01-01T00:00:00Z\s+20\d\d-/)
    expect(text.stdout).toMatch(/link_reports\s+updatedAt\s+2000-01-01T00:00:00Z\s+4 per parent record/)
  })

  it("reset: the named resources' next run starts from initial_value; unknown names are exit 2", async () => {
    // With its cursor stored, a run finds no snippet past it.
    const loads = json(await cli(["loads", config, "--json"]))
    const snippets = Array.isArray(loads) ? loads.find((l) => l.resource === "snippets") : undefined
    expect(snippets.rowsPerTable.snippets ?? 0).toBe(0)

    const unknown = await cli(["reset", config, "--resources", "snippets,nope"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown resource(s) 'nope'; the config has links, snippets, link_reports")
    const missing = await cli(["reset", config])
    expect(missing.code).toBe(2)

    const reset = await cli(["reset", config, "--resources", "snippets,links"])
    expect(reset.code, reset.stderr).toBe(0)
    expect(reset.stdout).toContain("snippets: state dropped; its next run starts from initial_value")
    expect(reset.stdout).toContain("links: had no stored state")
    expect(json(await cli(["state", config, "--json"]))).toMatchObject([
      { resource: "links", stored: false },
      { resource: "snippets", stored: false, lastValue: null },
      { resource: "link_reports", stored: true, perParentCursors: 4 }
    ])

    const again = await cli(["run", config, "--resources", "snippets"])
    expect(again.code, again.stderr).toBe(0)
    const after = json(await cli(["loads", config, "--json", "--limit", "1"]))
    expect(after).toMatchObject([{ resource: "snippets", rowsPerTable: { snippets: 30 } }])
  })

  it("drop: refused without a terminal and without --yes (exit 2); with --yes the tables, children and state go", async () => {
    const tablesOf = async () =>
      (await sqlQuery<{ t: string }>(
        `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = '${dataset}' ORDER BY 1`
      )).map((r) => r.t)
    const before = await tablesOf()
    expect(before).toEqual(expect.arrayContaining(["link_reports", "link_reports__metrics", "link_reports__tags", "links"]))

    const refused = await cli(["drop", config, "--resources", "link_reports"])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("refusing to drop without a confirmation (stdin is not a terminal); pass --yes")
    expect(refused.stderr).toContain("link_reports: tables link_reports, link_reports__metrics, link_reports__tags; its state")
    expect(await tablesOf()).toEqual(before)

    const dropped = await cli(["drop", config, "--resources", "link_reports", "--yes"])
    expect(dropped.code, dropped.stderr).toBe(0)
    expect(dropped.stdout).toContain("link_reports: dropped link_reports, link_reports__metrics, link_reports__tags and its state")
    expect(await tablesOf()).toEqual(before.filter((t) => !t.startsWith("link_reports")))
    const links = await sqlQuery<{ t: string }>(`SELECT table_name AS t FROM "${dataset}"._rc_tables WHERE table_name LIKE 'link_reports%'`)
    expect(links).toEqual([])
    expect(json(await cli(["state", config, "--json"]))).toMatchObject([{}, {}, { resource: "link_reports", stored: false }])

    const nothing = await cli(["drop", config, "--resources", "link_reports"])
    expect(nothing.code, nothing.stderr).toBe(0)
    expect(nothing.stdout).toContain("nothing to drop")
    const rerun = await cli(["run", config, "--resources", "link_reports"])
    expect(rerun.code, rerun.stderr).toBe(0)
    expect(await tablesOf()).toEqual(before)
  })

  it("query: one read-only statement in the dataset, as a table or JSON; several statements or a write are refused", async () => {
    const rows = await cli(["query", config, "SELECT id FROM links ORDER BY id"])
    expect(rows.code, rows.stderr).toBe(0)
    expect(rows.stdout.split("\n").slice(0, 2)).toEqual(["id", "----------"])
    expect(rows.stdout).toContain("apl_000004\n(4 rows)")
    const objects = json(await cli(["query", config, "SELECT count(*) AS n, bool_and(true) AS ok, NULL AS nothing FROM links", "--json"]))
    expect(objects).toEqual([{ n: "4", ok: true, nothing: null }])

    const several = await cli(["query", config, "SELECT 1; DROP TABLE links"])
    expect(several.code).toBe(2)
    expect(several.stderr).toContain("one statement at a time")
    const write = await cli(["query", config, "DELETE FROM links"])
    expect(write.code).toBe(1)
    expect(write.stderr).toContain("cannot execute DELETE in a read-only transaction")
    expect(json(await cli(["query", config, "SELECT count(*)::int AS n FROM links", "--json"]))).toEqual([{ n: 4 }])

    const nowhere = await runCli(["query", config, "SELECT * FROM links", "--dataset", "no_such_dataset_x", ...storage()])
    expect(nowhere.code).toBe(2)
    expect(nowhere.stderr).toContain("dataset 'no_such_dataset_x' does not exist")
  })

  it.runIf(!target.server && hasPsql)("serve-db: psql reads the embedded database until SIGINT (exit 130)", async () => {
    const refused = await runCli(["serve-db", "--host", "0.0.0.0", "--data-dir", path.join(dir, "db")])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("not a loopback address")

    const server = spawn(process.execPath, [path.join(repoRoot, "bin/rest-connector.mjs"), "serve-db", "--data-dir", path.join(dir, "db")], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)))
    let stderr = ""
    server.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: server.stdout }).once("line", resolve)
        void exited.then(() => reject(new Error(`serve-db exited: ${stderr}`)))
      })
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/)
      expect(stderr).toContain(`connect with: psql ${url}`)
      const psql = (sqlText: string) =>
        new Promise<string>((resolve, reject) =>
          execFile("psql", [url, "-Atc", sqlText], { timeout: 30_000 }, (error, stdout, err) => (error === null ? resolve(stdout.trim()) : reject(new Error(err))))
        )
      expect(await psql(`SELECT count(*) FROM "${dataset}".links`)).toBe("4")
      expect(await psql(`SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "${dataset}"._rc_tables WHERE root_name = 'links'`)).toBe(
        "links,links__attendees,links__tags"
      )
    } finally {
      server.kill("SIGINT")
    }
    expect(await exited).toBe(130)
    expect(stderr).toContain("SIGINT: stopping; closing the database")
    expect(stderr).not.toContain("roll back")
    // The data directory was closed cleanly: the CLI opens it again.
    expect(json(await cli(["query", config, "SELECT count(*)::int AS n FROM links", "--json"]))).toEqual([{ n: 4 }])
  })

  it.runIf(!target.server && hasScript)("drop asks on a terminal, and drops nothing unless told yes", async () => {
    const answer = async (reply: string) => {
      const result = await onTerminal(
        [...["drop", config, "--resources", "snippets", "--dataset", dataset], ...storage()],
        { ANALYTICS_API_KEY: TOKEN },
        "drop them? [y/N]",
        reply
      )
      expect(result.code, result.output).toBe(0)
      return result.output
    }
    const no = await answer("n")
    expect(no).toContain("snippets: tables snippets, snippets__files, snippets__tags")
    expect(no).toContain("nothing dropped")
    const yes = await answer("y")
    expect(yes).toContain("snippets: dropped snippets")
    expect(json(await cli(["state", config, "--json"]))).toMatchObject([{}, { resource: "snippets", stored: false }, {}])
  })

  it.runIf(target.server)("reset waits for a run loading the resource in another process, then resets it", async () => {
    // An API that holds the reports request until the test lets it go: the run holds its lock until then.
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let held = false
    const server = createServer((req, res) => {
      res.setHeader("content-type", "application/json")
      if (req.url?.startsWith("/links") === true) return res.end(JSON.stringify([{ id: "l1" }]))
      held = true
      void gate.then(() => res.end(JSON.stringify([{ id: "r1", updatedAt: "2031-01-01T00:00:00Z" }])))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
    const address = server.address()
    const gated = path.join(dir, "gated.json")
    await writeFile(gated, JSON.stringify({
      client: { base_url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`, paginator: "single_page" },
      resources: [
        { name: "links", primary_key: "id", endpoint: { path: "links" } },
        { name: "link_reports", primary_key: "id", endpoint: { path: "reports", params: { owner: "{resources.links.id}" }, incremental } }
      ]
    }))
    try {
      const finished: Array<string> = []
      const running = cli(["run", gated, "--resources", "link_reports"]).then((r) => {
        finished.push("run")
        return r
      })
      while (!held) await new Promise((r) => setTimeout(r, 50))
      const resetting = cli(["reset", config, "--resources", "link_reports"]).then((r) => {
        finished.push("reset")
        return r
      })
      // Long enough for the reset process to start and meet the lock on a busy machine.
      await new Promise((r) => setTimeout(r, 8000))
      expect(finished).toEqual([])
      release()
      const [run, reset] = await Promise.all([running, resetting])
      expect(run.code, run.stderr).toBe(0)
      expect(reset.code, reset.stderr).toBe(0)
      // A warning (on stdout or stderr, as the logger is set up).
      expect(reset.stdout + reset.stderr).toContain(`waiting for another run loading ${dataset}.link_reports to finish`)
      expect(reset.stdout).toContain("link_reports: state dropped")
      expect(json(await cli(["state", config, "--json"]))).toMatchObject([{}, {}, { resource: "link_reports", stored: false }])
    } finally {
      release()
      server.close()
    }
  })
})
