/**
 * Schedules from the CLI, against the Postgres server that holds the cluster's state
 * (TEST_DATABASE_URL): `schedule` adds one, `status` lists it, `unschedule` removes it, and
 * removing it again is a usage error (no runner needed). And with two runners, a schedule due
 * every minute fires: each tick's sync runs once, on one runner of the two.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import type { ChildProcess } from "node:child_process"
import { createServer } from "node:http"
import pg from "pg"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { runCli } from "../support/cli.js"
import { uniqueDatasetName } from "../support/database.js"
import { freePort } from "../support/ports.js"
import { startWorker, stopWorker } from "../support/workers.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

const scheduleNames = (stdout: string): ReadonlyArray<unknown> => {
  const doc: unknown = JSON.parse(stdout)
  const schedules: unknown = typeof doc === "object" && doc !== null ? Reflect.get(doc, "schedules") : undefined
  return Array.isArray(schedules) ? schedules.map((s: unknown) => (typeof s === "object" && s !== null ? Reflect.get(s, "name") : undefined)) : []
}

describe.runIf(serverUrl !== undefined)("rest-connector schedule, status and unschedule", () => {
  it("a schedule is listed until it is removed; removing a missing one exits 2", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "rc-schedule-cli-"))
    try {
      const config = path.join(dir, "shop.json")
      await writeFile(config, JSON.stringify({ client: { base_url: "http://127.0.0.1:9/" }, resources: [{ name: "users", endpoint: { path: "users" } }] }))
      const name = uniqueDatasetName("sched_cli")
      const env = { env: { DATABASE_URL: serverUrl } }
      const added = await runCli(["schedule", config, "--every", "15m", "--name", name], env)
      expect(added.code, added.stderr).toBe(0)
      const listed = await runCli(["status", "--json"], env)
      expect(listed.code, listed.stderr).toBe(0)
      expect(scheduleNames(listed.stdout)).toContain(name)
      const removed = await runCli(["unschedule", name], env)
      expect(removed.code, removed.stderr).toBe(0)
      expect(removed.stdout).toContain(`schedule ${name} removed`)
      const after = await runCli(["status", "--json"], env)
      expect(scheduleNames(after.stdout)).not.toContain(name)
      const again = await runCli(["unschedule", name], env)
      expect(again.code).toBe(2)
      expect(again.stderr).toContain(`no schedule named ${name}`)
      // A {params.NAME} not given is refused at submission, naming its path, not left to fail on a runner.
      const perAccount = path.join(dir, "accounts.json")
      await writeFile(perAccount, JSON.stringify({ client: { base_url: "http://127.0.0.1:9/" }, resources: [{ name: "items", endpoint: { path: "accounts/{params.account}/items" } }] }))
      for (const command of [["schedule", perAccount, "--every", "15m", "--name", name], ["submit", perAccount, "--run", "never"]]) {
        const refused = await runCli(command, env)
        expect(refused.code, command[0]).toBe(2)
        expect(refused.stderr).toContain("resources[0].endpoint.path: {params.account} is not given")
      }
      expect(scheduleNames((await runCli(["status", "--json"], env)).stdout)).not.toContain(name)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)

  const workers: Array<ChildProcess> = []
  afterAll(() => Promise.all(workers.map(stopWorker)))

  it("a schedule fires on the cluster: each minute's tick syncs once, whichever of two runners holds the cron", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "rc-schedule-fire-"))
    let requests = 0
    const api = createServer((_req, res) => {
      requests++
      res.setHeader("content-type", "application/json")
      res.end(JSON.stringify([{ id: 1 }, { id: 2 }]))
    })
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", () => resolve()))
    const address = api.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    const name = uniqueDatasetName("sched_fire")
    const env = { env: { DATABASE_URL: serverUrl } }
    try {
      const config = path.join(dir, "ticks.json")
      await writeFile(config, JSON.stringify({
        client: { base_url: `http://127.0.0.1:${port}/` },
        resources: [{ name: "items", primary_key: "id", endpoint: { path: "items", paginator: "single_page" } }]
      }))
      workers.push(await startWorker(await freePort(), serverUrl), await startWorker(await freePort(), serverUrl))
      const added = await runCli(["schedule", config, "--cron", "* * * * *", "--name", name, "--dataset", name], env)
      expect(added.code, added.stderr).toBe(0)
      // The next minute's tick (and the cluster's cron singleton settling) within 2 minutes.
      const committed = async () =>
        (await client.query<{ run: string; state: string }>(`SELECT run, state FROM rc_cluster.syncs WHERE dataset = $1`, [name])).rows
      const deadline = Date.now() + 130_000
      while (!(await committed()).some((r) => r.state === "committed") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000))
      const removed = await runCli(["unschedule", name], env)
      expect(removed.code, removed.stderr).toBe(0)
      // A tick already submitted runs to its end; let it.
      await new Promise((r) => setTimeout(r, 3000))
      const runs = await committed()
      expect(runs.length).toBeGreaterThanOrEqual(1)
      for (const r of runs) expect(r.run).toMatch(new RegExp(`^schedule:${name}:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:00\\.000Z$`))
      // One sync per tick, one request per sync: never a tick run twice by the two runners.
      expect(new Set(runs.map((r) => r.run)).size).toBe(runs.length)
      expect(runs.every((r) => r.state === "committed")).toBe(true)
      expect(requests).toBe(runs.length)
      const rows = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}".items`)
      expect(rows.rows[0]?.n).toBe(2)
    } finally {
      await runCli(["unschedule", name], env)
      await client.end()
      api.close()
      await rm(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
