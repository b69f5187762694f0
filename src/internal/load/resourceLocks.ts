/**
 * One run at a time per dataset and resource: a second run loading the same resource (another
 * terminal, an overlapping cron job) waits for the first, and then reads the state the first
 * one stored. Within a process a lock per key does it; across processes a Postgres advisory
 * lock on a 64-bit hash of dataset and resource, held on a connection of its own (`SessionLocks`,
 * which `layerPool` provides) for as long as the resource loads: a session lock outlives the
 * commit's transaction and is released by the server if the process dies.
 *
 * Without `SessionLocks` (the embedded database, a single session in one process; a
 * `SqlClient` of the user's) only the in-process lock applies.
 */
import { SqlError } from "@effect/sql/SqlError"
import { Context, Effect, Layer, Option } from "effect"
import type { Scope } from "effect/Scope"
import { createHash } from "node:crypto"
import pg from "pg"

/** Advisory locks on a session of their own. */
export interface SessionLockClient {
  /** Takes the lock if it is free (`pg_try_advisory_lock`): true when taken. */
  readonly tryLock: (key: string) => Effect.Effect<boolean, SqlError>
  /** Releases a lock `tryLock` took; nothing if its session is gone (the server released it). */
  readonly unlock: (key: string) => Effect.Effect<void>
}

export class SessionLocks extends Context.Tag("effect-rest-connector/SessionLocks")<SessionLocks, SessionLockClient>() {}

/** The advisory lock key of a dataset's resource: a stable signed 64-bit hash, as text. */
export const resourceLockKey = (dataset: string, resource: string): string => {
  const hex = createHash("sha256").update(`effect-rest-connector:resource\u0000${dataset}\u0000${resource}`).digest("hex")
  return BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString()
}

/**
 * `SessionLocks` on one connection opened from `pool`'s settings (not one of its connections:
 * a held lock must never keep the pool from its work), connected when first needed, again
 * after it was lost, and closed with the layer.
 */
export const layerFromPool = (pool: pg.Pool): Layer.Layer<SessionLocks> =>
  Layer.scoped(
    SessionLocks,
    Effect.gen(function*() {
      let current: Promise<pg.Client> | undefined
      const name = pool.options.application_name ?? "effect-rest-connector"
      const connect = (): Promise<pg.Client> => {
        if (current !== undefined) return current
        // Its own application name: tools that end the pool's sessions can leave it alone.
        // A query that never returns would hold up the run uninterruptibly (see `lockResource`).
        const client = new pg.Client({ ...pool.options, application_name: `${name} (locks)`, query_timeout: 30_000 })
        const forget = () => {
          if (current === connecting) current = undefined
        }
        client.on("error", forget)
        client.on("end", forget)
        const connecting = client.connect().then(() => client, (e: unknown) => {
          forget()
          throw e
        })
        current = connecting
        return connecting
      }
      // One query at a time on the lock connection (resources lock concurrently): pg only queues
      // overlapping queries with a DeprecationWarning on stderr, and pg 9 will refuse them.
      let turn: Promise<unknown> = Promise.resolve()
      const inTurn = <A>(query: () => Promise<A>): Promise<A> => {
        const result = turn.then(query)
        turn = result.catch(() => undefined)
        return result
      }
      yield* Effect.addFinalizer(() =>
        Effect.suspend(() => {
          const open = current
          return open === undefined
            ? Effect.void
            : Effect.promise(() => open.then((c) => c.end()).catch(() => undefined)).pipe(Effect.timeoutOption(1000))
        })
      )
      return {
        tryLock: (key) =>
          Effect.tryPromise({
            try: () =>
              inTurn(async () => {
                const client = await connect()
                const result = await client.query<{ readonly ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key])
                return result.rows[0]?.ok === true
              }),
            catch: (cause) => new SqlError({ cause, message: "taking the resource lock" })
          }),
        unlock: (key) =>
          Effect.promise(() =>
            inTurn(async () => {
              const client = await current?.catch(() => undefined)
              await client?.query("SELECT pg_advisory_unlock($1::bigint)", [key]).catch(() => undefined)
            }).catch(() => undefined)
          )
      }
    })
  )

interface LocalLock {
  readonly semaphore: Effect.Semaphore
  held: boolean
}

/** In-process locks per database client (two layers over one client share them). */
const localLocks = new WeakMap<object, Map<string, LocalLock>>()

const localLock = (owner: object, key: string): LocalLock => {
  let locks = localLocks.get(owner)
  if (locks === undefined) {
    locks = new Map()
    localLocks.set(owner, locks)
  }
  let lock = locks.get(key)
  if (lock === undefined) {
    lock = { semaphore: Effect.unsafeMakeSemaphore(1), held: false }
    locks.set(key, lock)
  }
  return lock
}

/** How often a waiting run asks the server again. */
const pollInterval = "500 millis"

/**
 * Holds `dataset`'s `resource` for the scope, waiting (and saying so, once) while another run
 * holds it. `owner` is the database client the locks of this process are kept for. True when
 * it had to wait: what the other run stored is newer than what was read before.
 */
export const lockResource = (
  owner: object,
  session: Option.Option<SessionLockClient>,
  dataset: string,
  resource: string
): Effect.Effect<boolean, SqlError, Scope> => {
  const key = resourceLockKey(dataset, resource)
  const local = localLock(owner, key)
  let waited = false
  const waiting = Effect.suspend(() => {
    if (waited) return Effect.void
    waited = true
    return Effect.logWarning(`waiting for another run loading ${dataset}.${resource} to finish`)
  }).pipe(Effect.annotateLogs({ dataset, resource }))
  // Taking a lock and registering its release are one step; only the waiting is interruptible.
  return Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      if (local.held) yield* waiting
      yield* restore(local.semaphore.take(1))
      local.held = true
      yield* Effect.addFinalizer(() =>
        Effect.zipRight(
          Effect.sync(() => {
            local.held = false
          }),
          local.semaphore.release(1)
        )
      )
      if (Option.isNone(session)) return waited
      const locks = session.value
      while (!(yield* locks.tryLock(key))) {
        yield* waiting
        yield* restore(Effect.sleep(pollInterval))
      }
      yield* Effect.addFinalizer(() => locks.unlock(key))
      return waited
    })
  )
}
