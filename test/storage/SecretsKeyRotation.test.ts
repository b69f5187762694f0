/**
 * Rotating `RC_SECRETS_KEY`: while the runners move to a new key, `RC_SECRETS_KEY_PREVIOUS`
 * still opens what the old one stored; `rotateKey` re-encrypts with the new key, all or nothing.
 * Both databases; each test works on a tenant of its own (the table is the cluster's).
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Config, ConfigProvider, Effect, Exit, Option, Redacted } from "effect"
import * as Secrets from "../../src/internal/cluster/tenantSecrets.js"
import { forEachDatabase, uniqueDatasetName } from "../support/database.js"

const keys = (current: string, previous?: string) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map([
    [Secrets.secretsKeyVariable, current],
    ...(previous === undefined ? [] : [[Secrets.previousKeyVariable, previous] as const])
  ])))

/** The tenant's secrets as a runner with these keys reads them, or the error it gets. */
const readAs = (tenant: string, current: string, previous?: string) =>
  Secrets.tenantProvider(tenant).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeed("none"),
      onSome: (provider) => Effect.map(Effect.all([provider.load(Config.string("A")), provider.load(Config.string("B"))]), (v) => v.join(","))
    })),
    keys(current, previous),
    Effect.exit,
    Effect.map((exit) => Exit.isSuccess(exit) ? exit.value : String(exit.cause))
  )

/** A tenant of its own (removed with the scope) with secrets A = alpha and B = beta under these keys. */
const tenantWith = (keyOfA: string, keyOfB: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const tenant = uniqueDatasetName("rotate")
    yield* Effect.addFinalizer(() => sql.unsafe(`DELETE FROM ${Secrets.secretsTable} WHERE tenant = $1`, [tenant]).pipe(Effect.ignore))
    yield* Secrets.setSecret(tenant, "A", Redacted.make("alpha")).pipe(keys(keyOfA))
    yield* Secrets.setSecret(tenant, "B", Redacted.make("beta")).pipe(keys(keyOfB))
    return tenant
  })

forEachDatabase((target) => {
  layer(target.layer, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("old secrets open with the previous key until rotated; rotated ones open with the new key alone", () =>
      Effect.gen(function*() {
        const tenant = yield* tenantWith("k-old#1", "k-old#1")

        expect(yield* readAs(tenant, "k-new#2")).toContain("cannot be decrypted: this runner's RC_SECRETS_KEY is not the one")
        expect(yield* readAs(tenant, "k-new#2", "k-old#1")).toBe("alpha,beta")

        expect(yield* Secrets.rotateKey(tenant).pipe(keys("k-new#2", "k-old#1"))).toEqual({ total: 2, fromPrevious: 2 })
        expect(yield* readAs(tenant, "k-new#2")).toBe("alpha,beta")
        expect(yield* readAs(tenant, "k-old#1")).toContain("cannot be decrypted")
        // Again: nothing left under the previous key.
        expect(yield* Secrets.rotateKey(tenant).pipe(keys("k-new#2", "k-old#1"))).toEqual({ total: 2, fromPrevious: 0 })
      }))

    it.scoped("a secret that opens with neither key stops the rotation, naming it, and nothing changes", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const tenant = yield* tenantWith("k-old#1", "k-stray#3")
        const before = yield* sql.unsafe<{ name: string; value: Uint8Array }>(`SELECT name, value FROM ${Secrets.secretsTable} WHERE tenant = $1 ORDER BY name`, [tenant])

        const failed = yield* Secrets.rotateKey(tenant).pipe(keys("k-new#2", "k-old#1"), Effect.flip)
        expect(failed.message).toBe(`secret B of tenant ${tenant} opens with neither RC_SECRETS_KEY nor RC_SECRETS_KEY_PREVIOUS: nothing was re-encrypted`)
        const after = yield* sql.unsafe<{ name: string; value: Uint8Array }>(`SELECT name, value FROM ${Secrets.secretsTable} WHERE tenant = $1 ORDER BY name`, [tenant])
        expect(after.map((r) => [r.name, Buffer.from(r.value).toString("hex")])).toEqual(before.map((r) => [r.name, Buffer.from(r.value).toString("hex")]))
        // No previous key given: it says so.
        const alone = yield* Secrets.rotateKey(tenant).pipe(keys("k-new#2"), Effect.flip)
        expect(alone.message).toContain("nor RC_SECRETS_KEY_PREVIOUS (not set)")
        // The messages name secrets and keys' variables, never a value or a passphrase.
        for (const text of [failed.message, alone.message]) for (const secret of ["alpha", "beta", "k-old#1", "k-new#2", "k-stray#3"]) expect(text).not.toContain(secret)
      }))
  })
})
