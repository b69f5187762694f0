/**
 * Two `rest-connector` processes on one --data-dir (overlapping cron jobs, a second terminal)
 * take turns: the second says it waits, then loads once the first is done; it never sees a
 * duplicate key or a corrupted folder. A lock left by a killed process is taken over; one held
 * for longer than --wait-timeout is a clear error with exit code 1. Through the real CLI
 * against a loopback API that holds the first run's second page until the second run waits.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import { hostname, tmpdir } from "node:os"
import * as path from "node:path"
import * as DataDirLock from "../../src/internal/load/dataDirLock.js"
import * as Embedded from "../../src/internal/load/embedded.js"

const root = path.resolve(import.meta.dirname, "../..")

interface Run {
  readonly child: ChildProcess
  /** `all`: stdout and stderr as they came (log lines may go to either). */
  readonly output: () => { readonly stdout: string; readonly stderr: string; readonly all: string }
  readonly exited: Promise<number | null>
}

describe("one process per data directory", () => {
  let dir: string
  let config: string
  let server: Server
  /** Resolves when a run asks for the second page; the page waits for `openGate`. */
  let onSecondPage: () => void = () => {}
  let gate: Promise<void> = Promise.resolve()
  let openGate: () => void = () => {}

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-shared-dir-"))
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      const page = Number(url.searchParams.get("page") ?? "1")
      const send = () => {
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify({ data: [{ id: page * 2 - 1 }, { id: page * 2 }], total_pages: 3 }))
      }
      if (page !== 2) return send()
      onSecondPage()
      void gate.then(send)
    })
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    config = path.join(dir, "items.json")
    await writeFile(config, JSON.stringify({
      client: { base_url: `http://127.0.0.1:${port}/` },
      resources: [{
        name: "items",
        primary_key: "id",
        write_disposition: "merge",
        endpoint: { path: "items", data_selector: "data", paginator: { type: "page_number", base_page: 1, total_path: "total_pages" } }
      }]
    }))
  })
  afterAll(async () => {
    openGate()
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
    await rm(dir, { recursive: true, force: true })
  })

  const run = (dataDir: string, ...extra: ReadonlyArray<string>): Run => {
    const child = spawn(
      process.execPath,
      [path.join(root, "bin/rest-connector.mjs"), "run", config, "--dataset", "items", "--data-dir", dataDir, ...extra],
      { cwd: root, env: { ...process.env, DATABASE_URL: "" } }
    )
    let stdout = ""
    let stderr = ""
    let all = ""
    child.stdout?.on("data", (d) => {
      stdout += String(d)
      all += String(d)
    })
    child.stderr?.on("data", (d) => {
      stderr += String(d)
      all += String(d)
    })
    return {
      child,
      output: () => ({ stdout, stderr, all }),
      exited: new Promise((done) => child.on("exit", (code) => done(code)))
    }
  }

  /** Resolves once `run` printed `text`. */
  const saying = (r: Run, text: string) =>
    new Promise<void>((done, fail) => {
      const check = () => {
        if (r.output().all.includes(text)) done()
      }
      r.child.stdout?.on("data", check)
      r.child.stderr?.on("data", check)
      void r.exited.then(() => fail(new Error(`exited without saying "${text}": ${r.output().all}`)))
      check()
    })

  const loads = (dataDir: string) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM items.items`
      const loadRows = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM items._rc_loads WHERE status = 'committed'`
      return { rows: rows[0]?.n, loads: loadRows[0]?.n }
    }).pipe(Effect.provide(Embedded.layer({ dataDir })), Effect.runPromise)

  it("a second run waits for the first, says so, then loads", async () => {
    const dataDir = path.join(dir, "shared")
    gate = new Promise((open) => (openGate = open))
    const asked = new Promise<void>((done) => (onSecondPage = done))
    const first = run(dataDir)
    await asked // the first run holds the folder: it is loading
    onSecondPage = () => {}
    const second = run(dataDir)
    await saying(second, `waiting for another rest-connector process using ${dataDir} (pid ${first.child.pid})`)
    openGate()
    const [a, b] = await Promise.all([first.exited, second.exited])
    expect(a, first.output().stderr).toBe(0)
    expect(b, second.output().stderr).toBe(0)
    expect(second.output().stdout).toMatch(/items\s+items\s+committed\s+6/)
    expect(await loads(dataDir)).toEqual({ rows: 6, loads: 2 })
    expect(existsSync(path.join(dataDir, ".lock"))).toBe(false)
  }, 180_000)

  it("a lock left by a killed process is taken over", async () => {
    const dataDir = path.join(dir, "stale")
    gate = new Promise((open) => (openGate = open))
    // A SIGKILLed run: its lock stays, naming a process that is gone.
    const first = run(dataDir)
    await new Promise<void>((done) => (onSecondPage = done))
    onSecondPage = () => {}
    first.child.kill("SIGKILL")
    await first.exited
    expect(existsSync(path.join(dataDir, ".lock"))).toBe(true)
    openGate()
    const next = run(dataDir)
    expect(await next.exited, next.output().stderr).toBe(0)
    expect(next.output().all).toContain(`left by pid ${first.child.pid}, which is no longer running`)
    expect(await loads(dataDir)).toEqual({ rows: 6, loads: 1 })
  }, 180_000)

  it("a folder held past --wait-timeout: exit code 1 and an error naming the holder", async () => {
    const dataDir = path.join(dir, "held")
    await mkdir(dataDir, { recursive: true })
    // Held by a running process: this test's own.
    const holder = { pid: process.pid, started: DataDirLock.startedAt(process.pid), host: hostname(), token: "test" }
    await writeFile(path.join(dataDir, ".lock"), JSON.stringify(holder))
    const r = run(dataDir, "--wait-timeout", "1")
    expect(await r.exited).toBe(1)
    const { all, stderr } = r.output()
    expect(all).toContain(`waiting for another rest-connector process using ${dataDir} (pid ${process.pid})`)
    expect(stderr).toContain(
      `error: Embedded database: ${dataDir} is in use by another rest-connector process (pid ${process.pid}`
    )
    expect(stderr).toContain("gave up after waiting 1s")
  }, 60_000)
})
