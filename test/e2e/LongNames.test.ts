/**
 * Names too long for Postgres (63 bytes), end to end through Pipeline.run on every database: a
 * 100-character resource name with nested lists (shortened child and grandchild table names
 * that do not start with their root's) into a 100-character dataset name, loaded twice with each
 * write disposition. The second run must find the root's child tables (merge, replace) and the
 * dataset (shortened the same way) exactly as with short names.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
import { defaultDataset } from "../../src/cli/connector.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import { datasetName, ident, stagingSchemaName } from "../../src/internal/load/identifiers.js"
import { normalizeIdentifier, shorten } from "../../src/internal/normalize/naming.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { forEachDatabase, uniqueDatasetName } from "../support/database.js"
import { serveJson } from "../support/loopback.js"

const pad = (s: string, length: number) => (s + "_" + "long_name".repeat(20)).slice(0, length)

const resource = pad("customer_accounts_with_their_billing_profiles_and_every_subscription_they_held", 100)
const root = shorten(normalizeIdentifier(resource))
const accounts = shorten(`${root}__accounts`)
const cards = shorten(`${root}__accounts__cards`)

type Disposition = "append" | "replace" | "merge" | "upsert" | "scd2"

const writeDisposition = (d: Disposition) =>
  d === "upsert" || d === "scd2" ? { disposition: "merge" as const, strategy: d } : d

const config = (baseUrl: string, d: Disposition) => ({
  client: { base_url: baseUrl },
  resources: [{
    name: resource,
    ...(d === "append" || d === "replace" ? {} : { primary_key: "id" }),
    write_disposition: writeDisposition(d),
    endpoint: { path: "customers", data_selector: "items", paginator: "single_page" as const }
  }]
})

const firstRecords = [
  { id: 1, name: "ann", accounts: [{ iban: "a1", cards: [{ n: "c1" }] }, { iban: "a2", cards: [] }] },
  { id: 2, name: "bob", accounts: [{ iban: "b1", cards: [{ n: "c2" }, { n: "c3" }] }] }
]
const secondRecords = [
  { id: 1, name: "ann2", accounts: [{ iban: "a3", cards: [{ n: "c4" }] }] },
  { id: 3, name: "cid", accounts: [] }
]

/** What each table holds after both runs (scd2: the active versions and their children). */
const expected: Record<Disposition, { names: Array<string>; ibans: Array<string>; cards: Array<string> }> = {
  append: { names: ["ann", "ann2", "bob", "cid"], ibans: ["a1", "a2", "a3", "b1"], cards: ["c1", "c2", "c3", "c4"] },
  replace: { names: ["ann2", "cid"], ibans: ["a3"], cards: ["c4"] },
  merge: { names: ["ann2", "bob", "cid"], ibans: ["a3", "b1"], cards: ["c2", "c3", "c4"] },
  upsert: { names: ["ann2", "bob", "cid"], ibans: ["a3", "b1"], cards: ["c2", "c3", "c4"] },
  scd2: { names: ["ann2", "cid"], ibans: ["a3"], cards: ["c4"] }
}

describe("long names", () => {
  it("are shortened to fit, and the child names do not tell their root", () => {
    for (const name of [root, accounts, cards]) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63)
    expect(accounts.startsWith(`${root}__`)).toBe(false)
    const dataset = pad("analytics_of_every_customer_account", 100)
    expect(datasetName(dataset)).toBe(datasetName(dataset))
    expect(Buffer.byteLength(datasetName(dataset))).toBeLessThanOrEqual(63 - "_staging".length)
    expect(stagingSchemaName(datasetName(dataset))).toBe(`${datasetName(dataset)}_staging`)
    expect(datasetName("analytics")).toBe("analytics")
    // The CLI's default dataset: the config file's name.
    const file = `/configs/${pad("AnalyticsOfEveryCustomerAccount", 100)}.ts`
    expect(defaultDataset(file)).toBe(datasetName(normalizeIdentifier(pad("AnalyticsOfEveryCustomerAccount", 100))))
    expect(defaultDataset(file).startsWith("analytics_of_every_customer_account_long_name")).toBe(true)
    expect(Buffer.byteLength(defaultDataset(file))).toBeLessThanOrEqual(55)
  })
})

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
    Layer.provideMerge(target.layer)
  )

  layer(Live, { excludeTestServices: true, timeout: 60_000 })((it) => {
    for (const disposition of ["append", "replace", "merge", "upsert", "scd2"] as const) {
      it.scoped(`${disposition}: a 100-character resource into a 100-character dataset, twice`, () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          let records: ReadonlyArray<unknown> = firstRecords
          const api = yield* serveJson(() => ({ body: { items: records } }))
          const given = pad(uniqueDatasetName("long"), 100)
          const dataset = datasetName(given)
          // Also what Postgres would make of the long name by cutting it, were it not shortened.
          yield* Effect.addFinalizer(() =>
            sql.unsafe([dataset, stagingSchemaName(dataset), given.slice(0, 63)].map((s) => `DROP SCHEMA IF EXISTS ${ident(s)} CASCADE`).join("; "))
              .pipe(Effect.ignore)
          )
          const run = Effect.gen(function*() {
            const info = yield* Pipeline.run(yield* RestApiSource.make(config(api.url, disposition)), { dataset: given })
            expect(info.failed, info.resources[0].error?.message).toBe(false)
            expect(info.dataset).toBe(dataset)
            return info
          })
          const first = yield* run
          expect(first.resources[0].rowsPerTable).toEqual({ [root]: 2, [accounts]: 3, [cards]: 3 })
          records = secondRecords
          yield* run

          const active = disposition === "scd2" ? `WHERE r._rc_valid_to IS NULL` : ""
          const values = (query: string) =>
            sql.unsafe<{ v: string }>(query).pipe(Effect.map((rows) => rows.map((r) => r.v).sort()))
          const rootRows = `${ident(dataset)}.${ident(root)} r`
          expect(yield* values(`SELECT r.name AS v FROM ${rootRows} ${active}`)).toEqual(expected[disposition].names)
          expect(
            yield* values(`SELECT a.iban AS v FROM ${ident(dataset)}.${ident(accounts)} a JOIN ${rootRows} ON a._rc_root_id = r._rc_id ${active}`)
          ).toEqual(expected[disposition].ibans)
          expect(
            yield* values(`SELECT c.n AS v FROM ${ident(dataset)}.${ident(cards)} c JOIN ${rootRows} ON c._rc_root_id = r._rc_id ${active}`)
          ).toEqual(expected[disposition].cards)
          if (disposition !== "append" && disposition !== "scd2") {
            // No orphans: every child row's root is there.
            for (const child of [accounts, cards]) {
              expect(
                yield* values(`SELECT count(*)::text AS v FROM ${ident(dataset)}.${ident(child)} c WHERE NOT EXISTS (
                  SELECT 1 FROM ${ident(dataset)}.${ident(root)} r WHERE r._rc_id = c._rc_root_id)`)
              ).toEqual(["0"])
            }
          }
          expect(
            yield* values(`SELECT table_name || ' ' || coalesce(parent_name, '-') || ' ' || root_name AS v FROM ${ident(dataset)}."_rc_tables"`)
          ).toEqual([`${root} - ${root}`, `${accounts} ${root} ${root}`, `${cards} ${accounts} ${root}`].sort())
        }))
    }
  })
})
