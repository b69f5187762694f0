/**
 * Many tenants on one config: a tenant's secrets from the cluster's encrypted secrets table
 * (before its environment prefix), its `{params.NAME}` values from the request, each checked
 * before any request. The sync workflow on the in-memory engine, both databases, a loopback API.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import * as Sync from "../../src/internal/cluster/syncWorkflow.js"
import * as Secrets from "../../src/internal/cluster/tenantSecrets.js"
import { forEachDatabase, freshDataset, uniqueDatasetName } from "../support/database.js"
import { scopedConfigFile } from "../support/configFile.js"
import { serveJson } from "../support/loopback.js"
import { syncOnMemoryEngine } from "../support/syncEngine.js"

const withKey = (key: string, environment: ReadonlyArray<readonly [string, string]> = []) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["RC_SECRETS_KEY", key], ...environment]), { pathDelim: "_" }))

// The runner's environment: a tree runs in the queue worker, which reads the runner's
// ConfigProvider (its layer's), not the one around `execute`.
const stored = uniqueDatasetName("stored")
const fromEnv = uniqueDatasetName("env")
const environment = [[`${Secrets.secretsKeyVariable}`, "k1"], [`${stored.toUpperCase()}_API_TOKEN`, "env-stored"], [`${fromEnv.toUpperCase()}_API_TOKEN`, "env-token"]] as const
const runnerEnvironment = Layer.setConfigProvider(ConfigProvider.fromMap(new Map(environment), { pathDelim: "_" }))

forEachDatabase((target) => {
  layer(syncOnMemoryEngine(target).pipe(Layer.provide(runnerEnvironment)), { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("a tenant's secret comes from the table before the environment; params fill the path", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const seen: Array<string> = []
        const api = yield* serveJson((url) => {
          seen.push(`${url.pathname} ${url.searchParams.get("token")}`)
          return { body: [{ id: url.pathname }] }
        })
        const config = yield* scopedConfigFile("accounts.json", {
          client: { base_url: api.url, auth: { type: "api_key", name: "token", location: "query", api_key: { secret: "API_TOKEN" } } },
          resources: [{ name: "items", primary_key: "id", endpoint: { path: "accounts/{params.account}/items", paginator: "single_page" } }]
        })
        const configHash = yield* Sync.configHash(config)
        yield* Secrets.setSecret(stored, "API_TOKEN", Redacted.make("from-table")).pipe(withKey("k1"))
        yield* Effect.addFinalizer(() => sql.unsafe(`DELETE FROM ${Secrets.secretsTable} WHERE tenant = $1`, [stored]).pipe(Effect.ignore))
        // The environment has a token for both; the table's wins for the tenant it holds.
        for (const [tenant, account] of [[stored, "a1"], [fromEnv, "b2"]] as const) {
          const dataset = yield* freshDataset("tenant")
          const result = yield* Sync.SyncWorkflow.execute({ config, configHash, dataset, tenant, run: "r1", params: { account } }).pipe(
            withKey("k1", environment)
          )
          expect(result.resources[0]).toMatchObject({ resource: "items", status: "committed", rows: 1 })
          const ids = yield* sql.unsafe<{ id: string }>(`SELECT id FROM "${dataset}".items`)
          expect(ids.map((r) => r.id)).toEqual([`/accounts/${account}/items`])
        }
        expect(seen).toEqual(["/accounts/a1/items from-table", "/accounts/b2/items env-token"])
        const listed = yield* Secrets.listSecrets(stored)
        expect(listed.map((r) => [r.tenant, r.name])).toEqual([[stored, "API_TOKEN"]])
        expect(JSON.stringify(listed)).not.toContain("from-table")
      }))

    it.scoped("no key, another key or a missing param: a SyncError that says which, before any request", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        let requests = 0
        const api = yield* serveJson(() => {
          requests++
          return { body: [] }
        })
        const config = yield* scopedConfigFile("accounts.json", {
          client: { base_url: api.url, auth: { type: "bearer", token: { secret: "API_TOKEN" } } },
          resources: [{ name: "items", endpoint: { path: "accounts/{params.account}/items", paginator: "single_page" } }]
        })
        const configHash = yield* Sync.configHash(config)
        const tenant = uniqueDatasetName("keyed")
        yield* Secrets.setSecret(tenant, "API_TOKEN", Redacted.make("t")).pipe(withKey("right"))
        yield* Effect.addFinalizer(() => sql.unsafe(`DELETE FROM ${Secrets.secretsTable} WHERE tenant = $1`, [tenant]).pipe(Effect.ignore))
        const dataset = yield* freshDataset("tenant")
        const attempt = (run: string, provide: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>, params: Record<string, string>) =>
          Sync.SyncWorkflow.execute({ config, configHash, dataset, tenant, run, params }).pipe(provide, Effect.exit)
        const message = (exit: Exit.Exit<unknown, Sync.SyncError>) => Exit.isFailure(exit) ? String(exit.cause) : "succeeded"
        expect(message(yield* attempt("no-key", Effect.withConfigProvider(ConfigProvider.fromMap(new Map())), { account: "a" }))).toContain(
          "RC_SECRETS_KEY is not set"
        )
        expect(message(yield* attempt("wrong-key", withKey("wrong"), { account: "a" }))).toContain("cannot be decrypted")
        const missing = message(yield* attempt("no-param", withKey("right"), {}))
        expect(missing).toContain("resources[0].endpoint.path")
        expect(missing).toContain("{params.account} is not given")
        expect(requests).toBe(0)
      }))
  })
})
