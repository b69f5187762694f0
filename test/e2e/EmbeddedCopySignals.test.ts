/**
 * SIGINT while COPYs stream into the embedded database (blobCopy.ts): the CLI exits 130 without
 * hanging, and the next run on the same data directory loads everything. The API's pages are
 * about 1 MB each, so every page sends a COPY and one is in flight when the signal comes.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "../..")
const pages = 30
const perPage = 1500

/** The API, and a promise of the moment it serves its fifth page. */
const startApi = async () => {
  let busy: () => void = () => {}
  const fifthPage = new Promise<void>((done) => (busy = done))
  let baseUrl = ""
  const server: Server = createServer((req, res) => {
    const p = Number(new URL(req.url ?? "/", "http://127.0.0.1").searchParams.get("p") ?? "1")
    if (p === 5) busy()
    const items = Array.from({ length: perPage }, (_, i) => {
      const id = (p - 1) * perPage + i
      return { id, text: `${id}\t\\ é 🎉 ${"x".repeat(600)}`, tags: ["a", "b"] }
    })
    res.setHeader("content-type", "application/json")
    res.end(JSON.stringify({ items, next: p < pages ? `${baseUrl}big?p=${p + 1}` : null }))
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  const address = server.address()
  baseUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`
  const close = () => {
    server.closeAllConnections()
    return new Promise<void>((done) => server.close(() => done()))
  }
  return { baseUrl, fifthPage, close }
}

describe("SIGINT during the embedded database's COPYs", () => {
  let dir: string
  let api: Awaited<ReturnType<typeof startApi>>
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-ecopy-sig-"))
    api = await startApi()
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  /** Runs the CLI into `dataDir`; with `interrupt`, sends SIGINT once the API is busy. */
  const run = async (config: string, dataDir: string, interrupt: boolean) => {
    const child = spawn(process.execPath, [path.join(root, "bin/rest-connector.mjs"), "run", config, "--dataset", "big", "--data-dir", dataDir], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: "" }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += String(d)))
    child.stderr.on("data", (d) => (stderr += String(d)))
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)))
    if (interrupt) {
      await api.fifthPage
      child.kill("SIGINT")
    }
    return { code: await exited, stdout, stderr }
  }

  it("exits 130 at once, and the next run on the same data directory loads every row", async () => {
    const config = path.join(dir, "big.json")
    await writeFile(config, JSON.stringify({
      client: { base_url: api.baseUrl },
      resources: [{
        name: "big",
        primary_key: "id",
        write_disposition: "merge",
        endpoint: { path: "big", data_selector: "items", paginator: { type: "json_link", next_url_path: "next" } }
      }]
    }))
    const dataDir = path.join(dir, "db")
    const started = performance.now()
    const interrupted = await run(config, dataDir, true)
    expect(interrupted.code, interrupted.stderr).toBe(130)
    expect(interrupted.stdout).toMatch(/big\s+big\s+interrupted, rolled back/)
    // Well under the 30 s the database process gets to close before it is killed.
    expect(performance.now() - started).toBeLessThan(25_000)
    const next = await run(config, dataDir, false)
    expect(next.code, next.stderr).toBe(0)
    expect(next.stdout).toMatch(new RegExp(`big\\s+big\\s+committed\\s+${(pages * perPage).toLocaleString("en-US")}\\s`))
  }, 120_000)
})
