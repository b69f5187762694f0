/**
 * The tenants' secrets table, `rc_cluster.secrets`: one row per tenant and secret name, so a
 * cluster serves thousands of accounts without an environment variable each. Values are
 * encrypted (AES-256-GCM, the key derived from `RC_SECRETS_KEY`, which `secret set` and every
 * runner must have): a database dump or a replica shows no credential. Each value is bound to
 * its tenant and name (the cipher's additional data), so rows cannot be swapped. A tenant's
 * sync reads a secret here first, then from `<TENANT>_NAME` in the environment.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Config, ConfigProvider, Data, Effect, Option, Redacted } from "effect"
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto"
import { clusterSchema, ensureClusterTable } from "./clusterSchema.js"
import { whileRestarting } from "./restarts.js"

export const secretsTable = `${clusterSchema}.secrets`

/** The environment variable that holds the passphrase the secrets are encrypted with. */
export const secretsKeyVariable = "RC_SECRETS_KEY"

/**
 * The passphrase a rotation replaces: read, never written, while the runners move to the new
 * `RC_SECRETS_KEY` and until `rotateKey` has re-encrypted every secret.
 */
export const previousKeyVariable = "RC_SECRETS_KEY_PREVIOUS"

export class TenantSecretError extends Data.TaggedError("TenantSecretError")<{ readonly message: string }> {}

const createSql = `CREATE TABLE IF NOT EXISTS ${secretsTable} (
  tenant text NOT NULL, name text NOT NULL, value bytea NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (tenant, name))`

const ensured = (sql: SqlClient.SqlClient) => ensureClusterTable(sql, createSql)

// scrypt is deliberately slow; derive each passphrase's key once per process.
const derived = new Map<string, Buffer>()
const keyOf = (passphrase: Redacted.Redacted): Buffer => {
  const text = Redacted.value(passphrase)
  let key = derived.get(text)
  if (key === undefined) {
    key = scryptSync(text, "effect-rest-connector/tenant-secrets", 32)
    derived.set(text, key)
  }
  return key
}

const boundTo = (tenant: string, name: string) => Buffer.from(`${tenant}\u0000${name}`, "utf8")

/** iv (12 bytes) + tag (16) + ciphertext. */
export const encrypt = (passphrase: Redacted.Redacted, tenant: string, name: string, value: string): Buffer => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", keyOf(passphrase), iv)
  cipher.setAAD(boundTo(tenant, name))
  const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

export const decrypt = (passphrase: Redacted.Redacted, tenant: string, name: string, stored: Uint8Array): string | undefined => {
  try {
    const bytes = Buffer.from(stored)
    const decipher = createDecipheriv("aes-256-gcm", keyOf(passphrase), bytes.subarray(0, 12))
    decipher.setAAD(boundTo(tenant, name))
    decipher.setAuthTag(bytes.subarray(12, 28))
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8")
  } catch {
    return undefined
  }
}

/** The passphrase from the environment, or a clear error naming the variable. */
export const secretsKey: Effect.Effect<Redacted.Redacted, TenantSecretError> = Config.redacted(secretsKeyVariable).pipe(
  Config.option,
  Effect.orElseSucceed(() => Option.none<Redacted.Redacted>()),
  Effect.flatMap(Option.match({
    onNone: () => Effect.fail(new TenantSecretError({ message: `${secretsKeyVariable} is not set: the tenants' secrets are encrypted with it` })),
    onSome: (key) => Redacted.value(key) === "" ? Effect.fail(new TenantSecretError({ message: `${secretsKeyVariable} is empty` })) : Effect.succeed(key)
  }))
)

const previousKey: Effect.Effect<Option.Option<Redacted.Redacted>> = Config.redacted(previousKeyVariable).pipe(
  Config.option,
  Effect.orElseSucceed(() => Option.none<Redacted.Redacted>()),
  Effect.map(Option.filter((key) => Redacted.value(key) !== ""))
)

/** A stored value opened with the current key, or else the previous one (`previous`: it took that). */
const open = (current: Redacted.Redacted, previous: Option.Option<Redacted.Redacted>, tenant: string, name: string, stored: Uint8Array) => {
  const value = decrypt(current, tenant, name, stored)
  if (value !== undefined || Option.isNone(previous)) return value === undefined ? undefined : { value, previous: false }
  const old = decrypt(previous.value, tenant, name, stored)
  return old === undefined ? undefined : { value: old, previous: true }
}

const storeError = (e: SqlError) => new TenantSecretError({ message: `the secrets table: ${e.message}` })

/** Stores (or replaces) a tenant's secret. */
export const setSecret = (tenant: string, name: string, value: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const key = yield* secretsKey
    const sql = yield* SqlClient.SqlClient
    yield* ensured(sql)
    yield* sql.unsafe(
      `INSERT INTO ${secretsTable} (tenant, name, value, updated_at) VALUES ($1, $2, $3, now())
      ON CONFLICT (tenant, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [tenant, name, encrypt(key, tenant, name, Redacted.value(value))]
    )
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storeError(e))))

/** Removes one; false when there was none. */
export const removeSecret = (tenant: string, name: string): Effect.Effect<boolean, TenantSecretError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensured(sql)
    const rows = yield* sql.unsafe<{ name: string }>(`DELETE FROM ${secretsTable} WHERE tenant = $1 AND name = $2 RETURNING name`, [tenant, name]).withoutTransform
    return rows.length > 0
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storeError(e))))

export interface SecretListing {
  readonly tenant: string
  readonly name: string
  readonly updated_at: string
}

/** Names and dates, never values. */
export const listSecrets = (tenant: string | undefined): Effect.Effect<ReadonlyArray<SecretListing>, TenantSecretError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* ensured(sql)
    return yield* sql.unsafe<SecretListing>(
      `SELECT tenant, name, updated_at::text FROM ${secretsTable} WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, name`,
      [tenant ?? null]
    ).withoutTransform
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storeError(e))))

/**
 * A tenant's secrets as a ConfigProvider (the table's names), or none when the table holds none
 * for the tenant. Read once per sync; a runner without the key, or with another key, fails here,
 * naming the variable, before any request.
 */
export const tenantProvider = (tenant: string): Effect.Effect<Option.Option<ConfigProvider.ConfigProvider>, TenantSecretError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Read through a database restart: a sync must not fail because Postgres was away.
    const rows = yield* Effect.zipRight(
      ensured(sql),
      sql.unsafe<{ name: string; value: Uint8Array }>(`SELECT name, value FROM ${secretsTable} WHERE tenant = $1`, [tenant]).withoutTransform
    ).pipe(whileRestarting)
    if (rows.length === 0) return Option.none()
    const key = yield* Effect.mapError(secretsKey, (e) => new TenantSecretError({ message: `tenant ${tenant} has secrets in ${secretsTable}, but ${e.message}` }))
    const previous = yield* previousKey
    const values = new Map<string, string>()
    for (const row of rows) {
      const opened = open(key, previous, tenant, row.name, row.value)
      if (opened === undefined) {
        return yield* new TenantSecretError({
          message: `secret ${row.name} of tenant ${tenant} cannot be decrypted: this runner's ${secretsKeyVariable}${
            Option.isSome(previous) ? ` (nor ${previousKeyVariable})` : ""
          } is not the one that stored it`
        })
      }
      values.set(row.name, opened.value)
    }
    return Option.some(ConfigProvider.fromMap(values))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storeError(e))))

/**
 * Re-encrypts every secret (or one tenant's) with `RC_SECRETS_KEY`, opening each with it or with
 * `RC_SECRETS_KEY_PREVIOUS`: all or nothing, in one transaction. A secret that opens with
 * neither fails the rotation, naming it, and the table stays as it was.
 */
export const rotateKey = (tenant?: string): Effect.Effect<{ readonly total: number; readonly fromPrevious: number }, TenantSecretError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const key = yield* secretsKey
    const previous = yield* previousKey
    const sql = yield* SqlClient.SqlClient
    yield* ensured(sql)
    return yield* sql.withTransaction(Effect.gen(function*() {
      const rows = yield* sql.unsafe<{ tenant: string; name: string; value: Uint8Array }>(
        `SELECT tenant, name, value FROM ${secretsTable} WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, name FOR UPDATE`,
        [tenant ?? null]
      ).withoutTransform
      let fromPrevious = 0
      for (const row of rows) {
        const opened = open(key, previous, row.tenant, row.name, row.value)
        if (opened === undefined) {
          return yield* new TenantSecretError({
            message: `secret ${row.name} of tenant ${row.tenant} opens with neither ${secretsKeyVariable} nor ${previousKeyVariable}${
              Option.isNone(previous) ? " (not set)" : ""
            }: nothing was re-encrypted`
          })
        }
        if (opened.previous) fromPrevious++
        yield* sql.unsafe(`UPDATE ${secretsTable} SET value = $3 WHERE tenant = $1 AND name = $2`, [
          row.tenant,
          row.name,
          encrypt(key, row.tenant, row.name, opened.value)
        ])
      }
      return { total: rows.length, fromPrevious }
    }))
  }).pipe(Effect.catchTag("SqlError", (e) => Effect.fail(storeError(e))))
