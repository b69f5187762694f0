/**
 * A runner killed (SIGKILL) in the middle of a sync: the workflow moves to the surviving runner
 * and finishes there, and every table holds what a single-process run loads (no duplicate, no
 * missing row). Against the Postgres server (TEST_DATABASE_URL), with worker processes on
 * loopback and an API slow enough (every page 80 ms) to kill the runner mid-sync.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { ChildProcess } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"
import pg from "pg"
import { runCli } from "../support/cli.js"
import { uniqueDatasetName } from "../support/database.js"
import { freePort } from "../support/ports.js"
import { startWorker, stopWorker } from "../support/workers.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined
const PAGES = 12
const PER_PAGE = 10

describe.runIf(serverUrl !== undefined)("a runner killed mid-sync", () => {
  const workers: Array<ChildProcess> = []
  let dir = ""
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker))
    if (dir !== "") await rm(dir, { recursive: true, force: true })
  })

  it("the sync finishes on the surviving runner, with the tables a single-process run loads", async () => {
    let served = 0
    const api = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x")
      const page = Number(url.searchParams.get("page") ?? 1)
      const resource = url.pathname.slice(1)
      served++
      setTimeout(() => {
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify({
          items: page > PAGES ? [] : Array.from({ length: PER_PAGE }, (_, k) => ({ id: `${resource}-${page}-${k}`, page, tags: ["a", "b"] })),
          total_pages: PAGES
        }))
      }, 80)
    })
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", () => resolve()))
    const address = api.address()
    const apiPort = typeof address === "object" && address !== null ? address.port : 0
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    try {
      dir = await mkdtemp(path.join(tmpdir(), "rc-failover-"))
      const config = path.join(dir, "failover_shop.json")
      const resource = (name: string) => ({
        name,
        primary_key: "id",
        write_disposition: "merge",
        endpoint: { path: name, data_selector: "items", paginator: { type: "page_number", base_page: 1, total_path: "total_pages", concurrency: 1 } }
      })
      await writeFile(config, JSON.stringify({ client: { base_url: `http://127.0.0.1:${apiPort}/` }, resources: ["alpha", "beta", "gamma"].map(resource) }))
      const env = { DATABASE_URL: serverUrl }
      const dataset = uniqueDatasetName("failover")
      const reference = uniqueDatasetName("failref")

      const first = await startWorker(await freePort(), serverUrl)
      workers.push(first)
      const submitted = await runCli(["submit", config, "--dataset", dataset, "--run", "r1"], { env })
      expect(submitted.code, submitted.stderr).toBe(0)
      // Mid-sync: some pages served, not all.
      const deadline = Date.now() + 60_000
      while (served < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(served).toBeGreaterThanOrEqual(8)
      workers.push(await startWorker(await freePort(), serverUrl))
      const killedAt = Date.now()
      first.kill("SIGKILL")

      const joined = await runCli(["submit", config, "--dataset", dataset, "--run", "r1", "--wait"], { env })
      expect(joined.code, joined.stderr).toBe(0)
      console.log(`failover: the sync's result came ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`)
      const result: unknown = JSON.parse(joined.stdout)
      expect(result).toMatchObject({ dataset, resources: [{ status: "committed" }, { status: "committed" }, { status: "committed" }] })

      const single = await runCli(["run", config, "--dataset", reference, "--database-url", serverUrl ?? ""], { env })
      expect(single.code, single.stderr).toBe(0)
      for (const table of ["alpha", "alpha__tags", "beta", "beta__tags", "gamma", "gamma__tags"]) {
        const key = table.includes("__") ? "_rc_list_idx::text || value" : "id"
        const rows = async (schema: string) =>
          (await client.query<{ k: string; n: string }>(`SELECT ${key} AS k, count(*) AS n FROM "${schema}"."${table}" GROUP BY 1 ORDER BY 1`)).rows
        const ours = await rows(dataset)
        expect(ours.every((r) => Number(r.n) === (table.includes("__") ? PAGES * PER_PAGE : 1)), table).toBe(true)
        expect(ours, table).toEqual(await rows(reference))
      }
    } finally {
      await client.end()
      api.close()
    }
  }, 180_000)
})
