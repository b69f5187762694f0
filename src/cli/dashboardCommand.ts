/**
 * `rest-connector dashboard`: a local web page over a config's dataset (overview, history,
 * schema, state, data), served on 127.0.0.1 until Ctrl-C. The page and its data are the
 * library's (internal/dashboard); this opens the database and prints the URL.
 */
import { setStoppingNote } from "./signals.js"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Console, Effect } from "effect"
import * as path from "node:path"
import { loadConfigFile } from "../internal/config/loadConfig.js"
import { describeResources } from "../internal/dashboard/model.js"
import { commonOptions, withCommonOptions } from "./commonOptions.js"
import {
  configFile,
  databaseFor,
  databaseUrl,
  dataDir,
  dataset,
  datasetFor,
  resolveDatabaseUrl,
  specFromFile,
  waitTimeout
} from "./datasetOptions.js"
import { isLoopback, port } from "./queryCommands.js"

/**
 * The web server's modules (HttpRouter, NodeHttpServer, the page) load only when the dashboard
 * runs: imported up front they cost every command ~0.4 s and 5 MB at startup.
 */
const serve: typeof import("../internal/dashboard/server.js").serve = (...args) =>
  Effect.flatMap(Effect.promise(() => import("../internal/dashboard/server.js")), (server) => server.serve(...args))

const host = Options.text("host").pipe(
  Options.withDescription(
    "the address to listen on; anything but loopback lets other machines read the dataset, with no password (default: 127.0.0.1)"
  ),
  Options.withDefault("127.0.0.1")
)

const dashboardCommand = Command.make(
  "dashboard",
  { configFile, databaseUrl, dataset, dataDir, waitTimeout, port, host, ...commonOptions },
  (args) =>
    Effect.gen(function*() {
      const spec = yield* specFromFile(args.configFile)
      const url = yield* resolveDatabaseUrl(args.databaseUrl)
      const name = datasetFor(args.configFile, args.dataset)
      if (!isLoopback(args.host)) {
        yield* Effect.logWarning(
          `--host ${args.host}: the dashboard is reachable from other machines; it has no authentication and shows the dataset's data`
        )
      }
      yield* Effect.gen(function*() {
        // Loaded again as the file's dictionary (cached for modules), shown with its secrets as ***.
        const config = yield* loadConfigFile(args.configFile)
        const served = yield* serve({ dataset: name, resources: describeResources(spec), config, host: args.host, port: args.port })
        const where = url === undefined
          ? `the embedded database in ${path.resolve(args.dataDir)}, which no other process can use until the dashboard stops`
          : "the Postgres server"
        yield* Effect.logInfo(`dashboard of dataset '${name}' (${where}) on ${served.url} until Ctrl-C (SIGINT) or SIGTERM`)
        yield* Console.log(served.url)
        yield* Effect.sync(() => setStoppingNote("closing the dashboard and the database"))
        return yield* Effect.never
      }).pipe(Effect.provide(databaseFor(url, args.dataDir, args.waitTimeout)))
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "serve a local web dashboard of a config's dataset (loads, timings, schema, state, data, read-only SQL) on 127.0.0.1 " +
      "until Ctrl-C, printing its URL; on the embedded database it holds --data-dir's lock while it runs (a run there waits)"
  )
)

export const dashboardCommands = [withCommonOptions(dashboardCommand)] as const
