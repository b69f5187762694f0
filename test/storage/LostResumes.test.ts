/**
 * A resume the workflow engine loses is found and made again. The fault is real: a trigger on
 * the cluster's replies table fails the one statement with which the engine wakes this sync's
 * workflow (clearing its `run` request's Suspended reply), as a database restart at that moment
 * would. The engine swallows that error and records the tree's result as delivered; without the
 * sweep the sync would wait forever. Needs the Postgres server (the cluster's storage).
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer } from "effect"
import { LostResumeSweep } from "../../src/internal/cluster/lostResumes.js"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import { inProcessRunner, usersSyncRequest } from "../support/inProcessRunner.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

/** Fails the first DELETE of the Suspended reply of `executionId`'s run; counts in `sequence`. */
const failFirstWake = (sql: SqlClient.SqlClient, name: string, executionId: string) =>
  Effect.acquireRelease(
    sql.unsafe(`
      CREATE SEQUENCE ${name};
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.kind = 0 AND EXISTS (SELECT 1 FROM rc_cluster.cluster_messages m WHERE m.id = OLD.request_id
            AND m.entity_id = '${executionId}' AND m.tag = 'run') AND nextval('public.${name}') = 1 THEN
          RAISE EXCEPTION 'injected: the database went away';
        END IF;
        RETURN OLD;
      END $$;
      CREATE TRIGGER ${name} BEFORE DELETE ON rc_cluster.cluster_replies FOR EACH ROW EXECUTE FUNCTION ${name}();`),
    () =>
      sql.unsafe(`DROP TRIGGER ${name} ON rc_cluster.cluster_replies; DROP FUNCTION ${name}(); DROP SEQUENCE ${name}`).pipe(Effect.orDie)
  )

describe.runIf(serverUrl !== undefined)("lost resumes", () => {
  it.live("a workflow whose wake-up failed in the database is resumed by the sweep and its sync commits", () =>
    Effect.gen(function*() {
      const sweep = Layer.succeed(LostResumeSweep, {
        every: Duration.millis(200),
        settle: Duration.millis(500),
        lookback: Duration.minutes(1),
        unreadFor: Duration.seconds(30)
      })
      const Live = inProcessRunner(serverUrl ?? "").pipe(Layer.provide(sweep))
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const request = yield* usersSyncRequest("lost_resume")
        const dataset = request.dataset
        const executionId = yield* Sync.SyncWorkflow.executionId(request)
        const fault = `rc_test_fail_wake_${dataset}`
        yield* failFirstWake(sql, fault, executionId)

        const result = yield* Sync.SyncWorkflow.execute(request).pipe(Effect.timeout("60 seconds"))
        expect(result.resources.map((r) => [r.resource, r.status, r.rows])).toEqual([["users", "committed", 3]])
        // The injected failure did happen: the engine's own wake-up failed once.
        const calls = yield* sql.unsafe<{ n: string }>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ${fault}`)
        expect(Number(calls[0]?.n)).toBeGreaterThanOrEqual(1)
        const rows = yield* sql.unsafe<{ n: string }>(`SELECT count(*) AS n FROM "${dataset}".users`)
        expect(Number(rows[0]?.n)).toBe(3)
      }).pipe(Effect.scoped, Effect.provide(Live))
    }), 90_000)
})
