/**
 * The API's rate limit across the cluster: @effect/experimental's `RateLimiter` (the service
 * @effect/workflow's `DurableRateLimiter` is built on) over a `RateLimiterStore` in Postgres,
 * `rc_cluster.rate_limits`, so every runner draws on one budget per API host (or per tenant).
 * Each request takes its slot from the store; a runner that must wait sleeps in its own process.
 *
 * Why not `DurableRateLimiter` itself: it is a workflow step (an activity and a durable clock),
 * recorded in the cluster's message tables. Our requests run inside a resource tree's activity,
 * one per page, so a step per request would cost several writes each; the same limiter with a
 * shared store gives the same guarantee without them.
 *
 * The store's arithmetic is the in-memory store's, run in a transaction on the key's row (locked
 * with `FOR UPDATE`), with the time from the runner's `Clock` (so `TestClock` drives it).
 */
import * as RateLimiter from "@effect/experimental/RateLimiter"
import * as SqlClient from "@effect/sql/SqlClient"
import { Clock, Duration, Effect, Layer } from "effect"
import { SharedBudgets } from "../http/rateLimit.js"
import { clusterSchema, ensureClusterTable } from "./clusterSchema.js"

export const rateLimitsTable = `${clusterSchema}.rate_limits`

const createSql = `CREATE TABLE IF NOT EXISTS ${rateLimitsTable} (
  key text PRIMARY KEY, count double precision NOT NULL, expires_at double precision NOT NULL,
  tokens double precision, last_refill double precision)`

interface Row {
  readonly count: number
  readonly expires_at: number
  readonly tokens: number | null
  readonly last_refill: number | null
}

const storeError = (cause: unknown) => new RateLimiter.RateLimitStoreError({ message: `the rate limits table ${rateLimitsTable}`, cause })

/** The store over the `SqlClient` in context; its table is made when the store is. */
export const storeLayer: Layer.Layer<RateLimiter.RateLimiterStore, never, SqlClient.SqlClient> = Layer.effect(
  RateLimiter.RateLimiterStore,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Made once per client; a failure (the server down at the first request) is tried again next time.
    const ensured = ensureClusterTable(sql, createSql)
    /** Reads the key's row locked (made first if missing), lets `next` compute its new values, writes them. */
    const withRow = <A>(key: string, next: (row: Row | undefined, now: number) => readonly [A, Row | undefined]) =>
      Effect.gen(function*() {
        yield* ensured
        const now = yield* Clock.currentTimeMillis
        return yield* sql.withTransaction(Effect.gen(function*() {
          const rows = yield* sql.unsafe<Row>(`SELECT count, expires_at, tokens, last_refill FROM ${rateLimitsTable} WHERE key = $1 FOR UPDATE`, [key])
            .withoutTransform
          const [result, written] = next(rows[0], now)
          if (written !== undefined) {
            yield* sql.unsafe(
              `INSERT INTO ${rateLimitsTable} (key, count, expires_at, tokens, last_refill) VALUES ($1, $2, $3, $4, $5)
              ON CONFLICT (key) DO UPDATE SET count = EXCLUDED.count, expires_at = EXCLUDED.expires_at, tokens = EXCLUDED.tokens,
                last_refill = EXCLUDED.last_refill`,
              [key, written.count, written.expires_at, written.tokens, written.last_refill]
            )
          }
          return result
        }))
      }).pipe(
        // Two runners inserting a new key at once: one loses the race; its retry sees the row.
        Effect.retry({ times: 3, while: (e) => e._tag === "SqlError" }),
        Effect.mapError(storeError)
      )

    return RateLimiter.RateLimiterStore.of({
      fixedWindow: (options) =>
        withRow(options.key, (row, now) => {
          const refill = Duration.toMillis(options.refillRate)
          const live = row !== undefined && row.expires_at > now
          const count = live ? row.count : 0
          const expiresAt = live ? row.expires_at : now
          if (options.limit !== undefined && count + options.tokens > options.limit) {
            return [[count + options.tokens, expiresAt - now] as const, undefined]
          }
          const next = { count: count + options.tokens, expires_at: expiresAt + refill * options.tokens, tokens: null, last_refill: null }
          return [[next.count, next.expires_at - now] as const, next]
        }),
      tokenBucket: (options) =>
        withRow(options.key, (row, now) => {
          const refill = Duration.toMillis(options.refillRate)
          let tokens = row?.tokens ?? options.limit
          let lastRefill = row?.last_refill ?? now
          const added = Math.floor((now - lastRefill) / refill)
          if (added > 0) {
            tokens = Math.min(options.limit, tokens + added)
            lastRefill += added * refill
          }
          const remaining = tokens - options.tokens
          const kept = options.allowOverflow || remaining >= 0 ? remaining : tokens
          return [remaining, { count: 0, expires_at: 0, tokens: kept, last_refill: lastRefill }]
        })
    })
  })
)

/** The shared budgets a runner's HTTP clients draw on (see `SharedBudgets`). */
export const sharedBudgetsLayer: Layer.Layer<SharedBudgets, never, SqlClient.SqlClient> = Layer.effect(
  SharedBudgets,
  Effect.gen(function*() {
    const limiter = yield* RateLimiter.make
    const current = yield* SharedBudgets
    return {
      ...current,
      budget: {
        take: (key, limit, windowMillis) =>
          limiter.consume({ key, limit, window: Duration.millis(windowMillis), algorithm: "fixed-window", onExceeded: "delay" }).pipe(
            Effect.flatMap((result) => (Duration.isZero(result.delay) ? Effect.void : Effect.sleep(result.delay)))
          )
      }
    }
  })
).pipe(Layer.provide(storeLayer))
