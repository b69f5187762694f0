/**
 * Schedules from the CLI, against the Postgres server that holds the cluster's state
 * (TEST_DATABASE_URL): `schedule` adds one, `status` lists it, `unschedule` removes it, and
 * removing it again is a usage error. No runner is needed for any of it.
 */
import { describe, expect, it } from "@effect/vitest"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { runCli } from "../support/cli.js"
import { uniqueDatasetName } from "../support/database.js"

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
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
