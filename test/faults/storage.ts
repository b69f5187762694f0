/**
 * Where the fault suite's runs write: the Postgres server when TEST_DATABASE_URL is set, else
 * the embedded database in a data folder (the CLI's own, opened between runs by the checks).
 */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Layer } from "effect"
import * as Embedded from "../../src/internal/load/embedded.js"
import { ident, stagingSchemaName } from "../../src/internal/load/identifiers.js"

export type Storage =
  | { readonly kind: "server"; readonly url: string }
  | { readonly kind: "embedded"; readonly dataDir: string }

export const serverUrl: string | undefined = process.env["TEST_DATABASE_URL"] || undefined

/** The server when there is one, else the embedded database in `dataDir`. */
export const storageFor = (dataDir: string): Storage =>
  serverUrl !== undefined ? { kind: "server", url: serverUrl } : { kind: "embedded", dataDir }

/** A server URL whose connections carry `application_name` (pg lets the URL's value win). */
export const withApplicationName = (url: string, name: string): string => {
  const parsed = new URL(url)
  parsed.searchParams.set("application_name", name)
  return parsed.toString()
}

/** The CLI's storage arguments (a server URL may be given one with an application_name). */
export const storageArgs = (storage: Storage, url?: string): ReadonlyArray<string> =>
  storage.kind === "server" ? ["--database-url", url ?? storage.url] : ["--data-dir", storage.dataDir]

export const describeStorage = (storage: Storage): string =>
  storage.kind === "server" ? "Postgres server" : "embedded database"

const layerOf = (storage: Storage): Layer.Layer<SqlClient.SqlClient, SqlError> =>
  storage.kind === "server"
    ? Embedded.databaseLayer({ databaseUrl: storage.url, maxConnections: 2 })
    : Embedded.layer({ dataDir: storage.dataDir, inProcess: true })

/**
 * Runs `effect` on its own connection, closed afterwards; the embedded database is opened in
 * this process (a third of the time of a database process) and closed before the next CLI run:
 * two processes must never open one data folder at once.
 */
export const withDatabase = <A, E>(storage: Storage, effect: Effect.Effect<A, E, SqlClient.SqlClient>): Promise<A> =>
  Effect.runPromise(Effect.provide(effect, layerOf(storage)))

export const dropDatasets = (storage: Storage, datasets: ReadonlyArray<string>): Promise<void> =>
  withDatabase(
    storage,
    Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.forEach(datasets, (d) =>
        sql.unsafe(`DROP SCHEMA IF EXISTS ${ident(d)} CASCADE; DROP SCHEMA IF EXISTS ${ident(stagingSchemaName(d))} CASCADE`), { discard: true }))
  ).catch(() => undefined)
