/**
 * effect-rest-connector as a library in an Effect program:
 * - a resource as a typed Stream of decoded records (nothing is loaded), then
 * - a full sync into Postgres through a SqlClient layer the program provides.
 * Run it with `npx tsx examples/library.ts` (it starts the demo API on loopback).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { ConfigProvider, Console, Effect, Layer, Stream } from "effect"
import { startDemoApi } from "../src/cli/demo/demoApi.js"
import { ApiClient, Embedded, Pipeline, Postgres, RestApiSource, UndiciHttpClient } from "effect-rest-connector"
import analytics from "./analytics/analytics.js"

const program = Effect.gen(function*() {
  const api = yield* Effect.acquireRelease(Effect.promise(() => startDemoApi({ rows: 120 })), (a) => Effect.promise(() => a.close()))
  const config = RestApiSource.defineConfig({ ...analytics, client: { ...analytics.client, base_url: api.baseUrl } })
  const source = yield* RestApiSource.make(config).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ANALYTICS_API_KEY", api.token]])))
  )

  // Typed records: `link` is the AppointmentLink Schema's type (createdAt is a Date).
  const links = yield* source.records("appointment_links").pipe(Stream.take(3), Stream.runCollect)
  for (const link of links) yield* Console.log(link.id, link.createdAt.toISOString(), link.owner.email)

  // Everything, into Postgres: the Destination runs over whatever SqlClient is provided.
  const info = yield* Pipeline.run(source, { dataset: "analytics" })
  for (const r of info.resources) yield* Console.log(r.resource, r.status, r.rowsPerTable)
})

// Bring your own layers: any HttpClient (ours over undici here, the fastest for JSON pages;
// `NodeHttpClient.layerUndici` or `FetchHttpClient.layer` work too) and any SqlClient (the
// embedded database here; `PgClient.layer({ url })` from @effect/sql-pg for a server).
const SqlLive = Embedded.layer({})
program.pipe(
  Effect.scoped,
  Effect.provide(Layer.mergeAll(ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer)), Postgres.layer.pipe(Layer.provide(SqlLive)))),
  NodeRuntime.runMain
)
