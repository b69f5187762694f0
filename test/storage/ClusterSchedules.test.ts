/**
 * Scheduled syncs: `--every` as cron, which schedules are due in a minute, and the tick that
 * submits them: a tick fired twice in one minute (two runners, a retry) is one sync. On the
 * in-memory workflow engine, both databases.
 */
import { describe, expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either } from "effect"
import { it as plain } from "vitest"
import * as Schedules from "../../src/internal/cluster/schedules.js"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { scopedConfigFile } from "../support/configFile.js"
import { serveJson } from "../support/loopback.js"
import { syncOnMemoryEngine } from "../support/syncEngine.js"

describe("schedules", () => {
  plain("--every becomes cron; intervals that do not divide an hour or a day are refused", () => {
    expect(Schedules.cronForEvery("15m")).toEqual(Either.right("*/15 * * * *"))
    expect(Schedules.cronForEvery("1h")).toEqual(Either.right("0 */1 * * *"))
    expect(Schedules.cronForEvery("24h")).toEqual(Either.right("0 0 * * *"))
    expect(Either.isLeft(Schedules.cronForEvery("7m"))).toBe(true)
    expect(Either.isLeft(Schedules.parseCron("not a cron"))).toBe(true)
  })

  plain("the schedules due in a minute, with the minute as the run's id", () => {
    const base = { config: "c.json", configHash: "h", dataset: "d", tenant: "", params: {} }
    const schedules = [{ ...base, name: "quarter", cron: "*/15 * * * *" }, { ...base, name: "daily", cron: "0 3 * * *" }]
    expect(Schedules.dueAt(schedules, new Date("2026-12-06T10:15:42Z")).map((d) => d.run)).toEqual(["schedule:quarter:2026-12-06T10:15:00.000Z"])
    expect(Schedules.dueAt(schedules, new Date("2026-12-06T10:16:00Z"))).toEqual([])
    expect(Schedules.dueAt(schedules, new Date("2026-12-07T03:00:05Z")).map((d) => d.schedule.name)).toEqual(["quarter", "daily"])
  })
})

forEachDatabase((target) => {
  const Live = syncOnMemoryEngine(target)

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a tick submits each due schedule's sync once, however often it fires in its minute", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const api = yield* serveJson(() => ({ body: [{ id: 1 }, { id: 2 }] }))
        const config = yield* scopedConfigFile("items.json", {
          client: { base_url: api.url },
          resources: [{ name: "items", primary_key: "id", endpoint: { path: "items", paginator: "single_page" } }]
        })
        const dataset = yield* freshDataset("sched")
        const name = `every15_${dataset}`
        const schedule = { name, config, configHash: yield* Sync.configHash(config), dataset, tenant: "", cron: "*/15 * * * *", params: {} }
        yield* Schedules.upsertSchedule(schedule)
        yield* Effect.addFinalizer(() => sql.unsafe(`DELETE FROM ${Schedules.schedulesTable} WHERE name = $1`, [name]).pipe(Effect.ignore))
        const at = new Date("2026-12-06T10:15:10Z")
        const mine = (runs: ReadonlyArray<string>) => runs.filter((r) => r.includes(name))
        const first = mine(yield* Schedules.tickAt(at))
        const second = mine(yield* Schedules.tickAt(new Date("2026-12-06T10:15:50Z")))
        expect(first).toEqual([`schedule:${name}:2026-12-06T10:15:00.000Z`])
        expect(second).toEqual(first)
        expect(mine(yield* Schedules.tickAt(new Date("2026-12-06T10:16:00Z")))).toEqual([])
        // Joined: the tick's sync, once.
        const result = yield* Sync.SyncWorkflow.execute({ config, configHash: schedule.configHash, dataset, tenant: "", run: first[0] ?? "" })
        expect(result.resources[0]).toMatchObject({ resource: "items", status: "committed", rows: 2 })
        const loads = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}"._rc_loads`)
        expect(Number(loads[0]?.n)).toBe(1)
      }))
  })
})
