/**
 * Which workflows the lost-resume sweep picks, on @effect/cluster's own tables (made by its
 * storage's migrations in a schema of the test's own) holding the rows each case leaves: a
 * run still Suspended after a deferred's reply (lost), a run suspended again after it (not
 * lost), a run that completed, a reset run the poll has hidden for longer than `unreadFor`
 * (hidden), a reset run waiting for the poll, and deferreds outside the window. Needs the
 * Postgres server.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as Snowflake from "@effect/cluster/Snowflake"
import * as MachineId from "@effect/cluster/MachineId"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import { SqlClient } from "@effect/sql"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { findLostResumes } from "../../src/internal/cluster/lostResumes.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import { uniqueDatasetName } from "../support/database.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined
const entityType = "Workflow/rest-connector/Sync"
const suspended = JSON.stringify({ _tag: "Success", value: { _tag: "Suspended" } })
const completed = JSON.stringify({ _tag: "Success", value: { _tag: "Complete", exit: { _tag: "Success", value: null } } })

describe.runIf(serverUrl !== undefined)("the lost-resume sweep's query", () => {
  it.live("finds runs left suspended after a deferred and reset runs the poll hid, nothing else", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const now = Date.now()
      let sequence = 0
      const idAt = (secondsAgo: number) =>
        Snowflake.make({ timestamp: now - secondsAgo * 1000, machineId: MachineId.make(1), sequence: sequence++ }).toString()
      const message = (execution: string, tag: string, key: string, options: { processed: boolean; readSecondsAgo?: number }) => {
        const id = idAt(120)
        return Effect.as(
          sql.unsafe(
            `INSERT INTO cluster_messages (id, message_id, shard_id, entity_type, entity_id, kind, tag, payload, processed, request_id, last_read)
            VALUES ($1, $2, 'default:1', $3, $4, 0, $5, '{}', $6, $1, ${options.readSecondsAgo === undefined ? "NULL" : `now() - interval '${options.readSecondsAgo} seconds'`})`,
            [id, `${entityType}/${execution}/${tag}/${key}`, entityType, execution, tag, options.processed]
          ),
          id
        )
      }
      const reply = (request: string, secondsAgo: number, payload: string) =>
        sql.unsafe(`INSERT INTO cluster_replies (id, kind, request_id, payload) VALUES ($1, 0, $2, $3)`, [idAt(secondsAgo), request, payload])
      /** A workflow whose run replied `run` seconds ago (or not at all) and whose deferred replied `deferred` seconds ago. */
      const workflow = (execution: string, run: { processed: boolean; repliedAgo?: number; payload?: string; readSecondsAgo?: number }, deferredAgo: number) =>
        Effect.gen(function*() {
          const runId = yield* message(execution, "run", "", { processed: run.processed, readSecondsAgo: run.readSecondsAgo })
          if (run.repliedAgo !== undefined) yield* reply(runId, run.repliedAgo, run.payload ?? suspended)
          const deferredId = yield* message(execution, "deferred", "DurableQueue/tree/x", { processed: true })
          yield* reply(deferredId, deferredAgo, JSON.stringify({ _tag: "Success", value: null }))
        })

      yield* workflow("lost", { processed: true, repliedAgo: 60 }, 50)
      yield* workflow("suspended-again", { processed: true, repliedAgo: 40 }, 50)
      yield* workflow("completed", { processed: true, repliedAgo: 40, payload: completed }, 50)
      yield* workflow("hidden", { processed: false, readSecondsAgo: 45 }, 50)
      yield* workflow("read-just-now", { processed: false, readSecondsAgo: 5 }, 50)
      yield* workflow("waiting-for-the-poll", { processed: false }, 50)
      yield* workflow("too-young", { processed: true, repliedAgo: 60 }, 1)
      yield* workflow("too-old", { processed: true, repliedAgo: 400 }, 300)

      const found = yield* findLostResumes(sql, { entityType, from: now - 180_000, to: now - 5_000, unreadFor: Duration.seconds(30) })
      expect([...found].map((r) => [r.execution_id, r.kind]).sort()).toEqual([["hidden", "unread"], ["lost", "suspended"]])
      expect(found.every((r) => r.shard_id === "default:1")).toBe(true)
    }).pipe(
      Effect.provide(Layer.unwrapScoped(Effect.gen(function*() {
        // A schema of the test's own: the cluster's tables there, made by @effect/cluster itself.
        const schema = uniqueDatasetName("lost_resume_query")
        const admin = Context.get(yield* Layer.build(PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: 1 })), SqlClient.SqlClient)
        yield* admin.unsafe(`CREATE SCHEMA ${schema}`)
        yield* Effect.addFinalizer(() => admin.unsafe(`DROP SCHEMA ${schema} CASCADE`).pipe(Effect.ignore))
        const pool = PgPool.layerPool({ url: Redacted.make(serverUrl ?? ""), maxConnections: 2, searchPath: schema })
        return Layer.provideMerge(SqlMessageStorage.layer.pipe(Layer.provide(ShardingConfig.layerDefaults)), pool)
      })))
    ), 60_000)
})
