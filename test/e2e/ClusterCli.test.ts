/**
 * The cluster from the CLI, as README's "Running a cluster" says: two `worker` processes on
 * loopback and `submit --wait`, against the Postgres server (TEST_DATABASE_URL; a cluster keeps
 * its state there).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { ChildProcess } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer as createHttpServer } from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { runCli } from "../support/cli.js"
import { uniqueDatasetName } from "../support/database.js"
import { freePort } from "../support/ports.js"
import { startWorker, stopWorker } from "../support/workers.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined


describe.runIf(serverUrl !== undefined)("rest-connector worker and submit", () => {
  const workers: Array<ChildProcess> = []
  let dir = ""
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker))
    if (dir !== "") await rm(dir, { recursive: true, force: true })
  })

  it("two workers run a sync submitted with --wait; the same --run again joins it; status lists it and the runners", async () => {
    const api = createHttpServer((req, res) => {
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify(req.url?.startsWith("/users") === true ? [{ id: 1 }, { id: 2 }] : [{ id: "t" }]))
    })
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", () => resolve()))
    const address = api.address()
    const apiPort = typeof address === "object" && address !== null ? address.port : 0
    try {
      dir = await mkdtemp(path.join(tmpdir(), "rc-cluster-cli-"))
      const config = path.join(dir, "cluster_shop.json")
      await writeFile(config, JSON.stringify({
        client: { base_url: `http://127.0.0.1:${apiPort}/` },
        resources: [
          { name: "users", primary_key: "id", endpoint: { path: "users", paginator: "single_page" } },
          { name: "tags", primary_key: "id", endpoint: { path: "tags", paginator: "single_page" } }
        ]
      }))
      workers.push(await startWorker(await freePort(), serverUrl), await startWorker(await freePort(), serverUrl))
      const dataset = uniqueDatasetName("clustercli")
      const args = ["submit", config, "--dataset", dataset, "--run", "r1", "--wait"]
      const first = await runCli(args, { env: { DATABASE_URL: serverUrl } })
      expect(first.code, first.stderr).toBe(0)
      const result: unknown = JSON.parse(first.stdout)
      expect(result).toMatchObject({ dataset, resources: [{ resource: "users", status: "committed", rows: 2 }, { resource: "tags", status: "committed", rows: 1 }] })
      const again = await runCli(args, { env: { DATABASE_URL: serverUrl } })
      expect(again.code, again.stderr).toBe(0)
      expect(JSON.parse(again.stdout)).toEqual(result)
      // status: the sync (committed, with its times) and the two runners.
      const status = await runCli(["status", "--json", "--limit", "500"], { env: { DATABASE_URL: serverUrl } })
      expect(status.code, status.stderr).toBe(0)
      const doc: unknown = JSON.parse(status.stdout)
      const syncs: unknown = typeof doc === "object" && doc !== null ? Reflect.get(doc, "syncs") : undefined
      const runners: unknown = typeof doc === "object" && doc !== null ? Reflect.get(doc, "runners") : undefined
      const mine = Array.isArray(syncs) ? syncs.filter((r: unknown) => Reflect.get(Object(r), "dataset") === dataset) : []
      expect(mine).toHaveLength(1)
      expect(mine[0]).toMatchObject({ dataset, tenant: "", run: "r1", state: "committed", last_error: null })
      expect(Reflect.get(Object(mine[0]), "finished_at")).toEqual(expect.any(String))
      const addresses = Array.isArray(runners) ? runners.map((r: unknown) => Reflect.get(Object(r), "address")) : []
      // The runner that ran it, as the runners list names it.
      expect(addresses).toContain(Reflect.get(Object(mine[0]), "runner"))
      expect(Array.isArray(runners) ? runners.filter((r: unknown) => Reflect.get(Object(r), "healthy") === true).length : 0).toBeGreaterThanOrEqual(2)
      const text = await runCli(["status"], { env: { DATABASE_URL: serverUrl } })
      expect(text.stdout).toMatch(/tenant\s+dataset\s+run\s+state\s+resource\s+runner/)
    } finally {
      api.close()
    }
  }, 120_000)
})
