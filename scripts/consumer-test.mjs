// The package as a user gets it: `npm pack`, then a fresh project that installs the tarball
// with the README's install line, and
//   (a) a strict TypeScript consumer compiles under moduleResolution NodeNext and Bundler
//       (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck), with
//       misspelt config keys rejected at compile time;
//   (b) plain `node consumer.mjs` streams a typed resource from a loopback API and syncs it
//       into the embedded database;
//   (c) importing the library loads no PGlite, @effect/cli, tsx or @effect/opentelemetry (an optional
//       peer: only effect-rest-connector/OpenTelemetry needs it), and there is one copy of Effect;
//   (d) with OpenTelemetry.layer, a run's spans reach a loopback OTLP/HTTP receiver.
// Exits non-zero when any of it breaks. `npm test` runs it after the test suite.
import { execFileSync } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"))
const work = mkdtempSync(path.join(tmpdir(), "rest-connector-consumer-"))
const keep = process.argv.includes("--keep")
const npm = process.platform === "win32" ? "npm.cmd" : "npm"

const run = (cmd, args, cwd = work) => {
  process.stderr.write(`consumer-test: ${cmd} ${args.join(" ")}\n`)
  return execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })
}

const main = () => {
try {
  // (0) the tarball, built by prepack
  const packed = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", work], root))
  const tarball = path.join(work, packed[0].filename)
  const files = packed[0].files.map((f) => f.path)
  const unwanted = files.filter((f) => /^(bench|test|examples|scripts|build)\//.test(f) || f.endsWith(".tsbuildinfo"))
  if (unwanted.length > 0) throw new Error(`the tarball ships files users do not need: ${unwanted.slice(0, 5).join(", ")}`)
  for (const needed of ["dist/index.js", "dist/index.d.ts", "dist/RestApiSource.d.ts.map", "rest-api-config.schema.json", "bin/rest-connector.mjs"]) {
    if (!files.includes(needed)) throw new Error(`the tarball lacks ${needed}`)
  }

  // (1) a fresh project: the README's install line, with the versions this repository tests
  const app = path.join(work, "app")
  execFileSync("mkdir", ["-p", app])
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2))
  const peers = Object.keys(pkg.peerDependencies).map((name) => `${name}@${pkg.devDependencies[name] ?? pkg.peerDependencies[name]}`)
  run(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, ...peers, `typescript@${pkg.devDependencies.typescript}`, `@types/node@${pkg.devDependencies["@types/node"]}`], app)
  const effects = findPackages(path.join(app, "node_modules"), "effect")
  if (effects.length !== 1) throw new Error(`expected one copy of effect, found ${effects.length}: ${effects.join(", ")}`)

  // (a) strict TypeScript, both resolutions
  writeFileSync(path.join(app, "consumer.ts"), consumerTs)
  for (const [name, options] of [
    ["nodenext", { module: "NodeNext", moduleResolution: "NodeNext" }],
    ["bundler", { module: "ESNext", moduleResolution: "Bundler" }]
  ]) {
    writeFileSync(path.join(app, `tsconfig.${name}.json`), JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        ...options,
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"]
      },
      files: ["consumer.ts"]
    }, null, 2))
    run(process.execPath, [path.join(app, "node_modules/typescript/bin/tsc"), "-p", `tsconfig.${name}.json`], app)
  }

  // (c) what importing the library loads
  writeFileSync(path.join(app, "hooks.mjs"), loadHooks)
  writeFileSync(path.join(app, "imports.mjs"), importsCheck)
  process.stdout.write(run(process.execPath, ["imports.mjs"], app))

  // (b) plain JavaScript: records from a loopback API, then a full sync into the embedded database
  writeFileSync(path.join(app, "consumer.mjs"), consumerMjs)
  const out = run(process.execPath, ["consumer.mjs"], app)
  process.stdout.write(out)
  if (!out.includes("consumer ok")) throw new Error("consumer.mjs did not finish")
  process.stderr.write("consumer-test: ok\n")
} finally {
  if (keep) process.stderr.write(`consumer-test: kept ${work}\n`)
  else rmSync(work, { recursive: true, force: true })
}
}

function findPackages(dir, name, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const here = path.join(dir, entry.name)
    if (entry.name === name) {
      try {
        const version = JSON.parse(readFileSync(path.join(here, "package.json"), "utf8")).version
        found.push(`${here}@${version}`)
      } catch {}
    }
    if (entry.name.startsWith("@")) findPackages(here, name, found)
    else {
      try {
        findPackages(path.join(here, "node_modules"), name, found)
      } catch {}
    }
  }
  return found
}

const consumerTs = `import { Effect, Layer, Schema, Stream } from "effect"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { ApiClient, Dashboard, Embedded, Operations, Pipeline, Postgres, RestApiConfig, Telemetry, Testing, UndiciHttpClient } from "effect-rest-connector"
import * as OpenTelemetry from "effect-rest-connector/OpenTelemetry"
import { defineConfig, make, type RecordOf } from "effect-rest-connector/RestApiSource"

const User = Schema.Struct({ id: Schema.Number, name: Schema.String })

const config = defineConfig({
  client: { base_url: "http://127.0.0.1:1/", timeout: 5 },
  resources: [
    { name: "users", endpoint: { path: "users", data_selector: "data", paginator: "single_page" }, schema: User, primary_key: "id" },
    { name: "posts", endpoint: { path: "users/{resources.users.id}/posts" }, include_from_parent: ["name"] }
  ]
})

// @ts-expect-error a misspelt key is a compile error
defineConfig({ client: { base_url: "x", timeot: 3 }, resources: ["a"] })
// @ts-expect-error a misspelt key deep in a resource is a compile error too
defineConfig({ client: { base_url: "x" }, resources: [{ name: "a", endpoint: { path: "a", data_selecter: "data" } }] })

type Post = RecordOf<typeof config, "posts">
const parentName = (post: Post): string | undefined => post._users_name

const program = Effect.gen(function*() {
  const source = yield* make(config)
  const users = yield* source.records("users").pipe(Stream.runCollect)
  for (const user of users) {
    const name: string = user.name
    console.log(name)
  }
  const info: Pipeline.LoadInfo = yield* Pipeline.run(source, { dataset: "consumer" })
  const history: Operations.LoadHistory = yield* Operations.loads("consumer", { limit: 5 })
  return info.resources.length + history.loads.length
})

const layers = Layer.mergeAll(
  ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer)),
  Postgres.layer.pipe(Layer.provideMerge(Embedded.layer({})))
)
export const main: Effect.Effect<number, RestApiConfig.ConfigError | unknown> = program.pipe(Effect.provide(layers))
export const testing = Testing.embedded()
export const firstRow = Operations.query("consumer", "SELECT 1 AS one").pipe(Effect.map((r) => Operations.rowObjects(r)[0]))
export const traced: Effect.Effect<number, unknown> = main.pipe(
  Effect.provide(OpenTelemetry.layer({ endpoint: "http://127.0.0.1:4318", protocol: "http/json" }).pipe(Layer.provide(FetchHttpClient.layer)))
)
export const ownTracer: Effect.Effect<number, unknown> = main.pipe(Effect.provide(Telemetry.layer))
export const dashboardUrl = Effect.scoped(Effect.map(Dashboard.serve({ dataset: "consumer", resources: [] }), (served) => served.url))
export { parentName }
`

const loadHooks = `let port
export function initialize(data) { port = data.port }
export async function load(url, context, next) {
  port.postMessage(url)
  return next(url, context)
}
`

const importsCheck = `import { register } from "node:module"
import { MessageChannel } from "node:worker_threads"
const { port1, port2 } = new MessageChannel()
const loaded = []
port1.on("message", (url) => loaded.push(url))
register("./hooks.mjs", { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] })
for (const m of ["effect-rest-connector", "effect-rest-connector/RestApiSource", "effect-rest-connector/Embedded", "effect-rest-connector/Operations", "effect-rest-connector/Dashboard", "effect-rest-connector/Testing", "effect-rest-connector/Telemetry"]) await import(m)
await new Promise((resolve) => setTimeout(resolve, 200))
port1.close()
if (!loaded.some((u) => u.includes("/effect-rest-connector/dist/index.js"))) { console.error("the load hook saw nothing"); process.exit(1) }
const unwanted = loaded.filter((u) => /@electric-sql\\/pglite|@effect\\/cli|\\/tsx\\/|@effect\\/opentelemetry/.test(u))
if (unwanted.length > 0) { console.error("importing the library loaded:\\n" + unwanted.join("\\n")); process.exit(1) }
console.log("imports ok: " + loaded.length + " modules, none of PGlite, @effect/cli, tsx, @effect/opentelemetry")
`

const consumerMjs = `import { createServer } from "node:http"
import { Effect, Layer, Stream, Schema, Chunk } from "effect"
import * as SqlClient from "@effect/sql/SqlClient"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { ApiClient, Dashboard, Embedded, Operations, Pipeline, Postgres, RestApiSource, UndiciHttpClient } from "effect-rest-connector"
import * as OpenTelemetry from "effect-rest-connector/OpenTelemetry"

// A loopback API: 3 pages of users, cursor-paged, each user with two posts.
const users = Array.from({ length: 7 }, (_, i) => ({ id: i + 1, name: "user " + (i + 1), tags: ["a", "b"] }))
const server = createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1")
  res.setHeader("content-type", "application/json")
  const posts = /^\\/users\\/(\\d+)\\/posts$/.exec(url.pathname)
  if (posts) return res.end(JSON.stringify([{ id: posts[1] + "-1" }, { id: posts[1] + "-2" }]))
  const after = Number(url.searchParams.get("after") ?? 0)
  const page = users.filter((u) => u.id > after).slice(0, 3)
  const last = page.at(-1)
  res.end(JSON.stringify({ data: page, next: last && last.id < users.length ? String(last.id) : null }))
})
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
const baseUrl = "http://127.0.0.1:" + server.address().port + "/"

// A loopback OTLP/HTTP receiver: the span names it was sent.
const spanNames = []
const receiver = createServer((req, res) => {
  let body = ""
  req.on("data", (chunk) => { body += chunk })
  req.on("end", () => {
    if (req.url === "/v1/traces") for (const r of JSON.parse(body).resourceSpans) for (const s of r.scopeSpans) for (const span of s.spans) spanNames.push(span.name)
    res.end("{}")
  })
})
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve))
const otlp = OpenTelemetry.layer({ endpoint: "http://127.0.0.1:" + receiver.address().port, protocol: "http/json" }).pipe(Layer.provide(FetchHttpClient.layer))

const config = RestApiSource.defineConfig({
  client: { base_url: baseUrl, paginator: { type: "cursor", cursor_path: "next", cursor_param: "after" } },
  resources: [
    { name: "users", endpoint: { path: "users", data_selector: "data" }, primary_key: "id", write_disposition: "merge",
      schema: Schema.Struct({ id: Schema.Number, name: Schema.String, tags: Schema.Array(Schema.String) }) },
    { name: "posts", endpoint: { path: "users/{resources.users.id}/posts", paginator: "single_page" }, include_from_parent: ["id"] }
  ]
})

const program = Effect.gen(function* () {
  const source = yield* RestApiSource.make(config)
  const streamed = yield* source.records("users").pipe(Stream.runCollect)
  if (Chunk.size(streamed) !== 7) throw new Error("expected 7 users streamed, got " + Chunk.size(streamed))
  const info = yield* Pipeline.run(source, { dataset: "consumer" }).pipe(Effect.provide(otlp))
  for (const name of ["Pipeline.run", "Pipeline.resource", "ApiClient.page", "GET", "Destination.commit"]) {
    if (!spanNames.includes(name)) throw new Error("the OTLP receiver got no " + name + " span: " + spanNames.join(", "))
  }
  if (info.failed) throw new Error(info.resources.map((r) => r.error && r.error.message).join("; "))
  const sql = yield* SqlClient.SqlClient
  const [u] = yield* sql.unsafe('SELECT count(*)::int AS n FROM consumer.users')
  const [t] = yield* sql.unsafe('SELECT count(*)::int AS n FROM consumer.users__tags')
  const [p] = yield* sql.unsafe('SELECT count(*)::int AS n FROM consumer.posts')
  if (u.n !== 7 || t.n !== 14 || p.n !== 14) throw new Error("unexpected rows: " + JSON.stringify({ u, t, p }))
  const history = yield* Operations.loads("consumer")
  const counted = Operations.rowObjects(yield* Operations.query("consumer", "SELECT count(*)::int AS n FROM users"))
  if (counted[0].n !== 7) throw new Error("unexpected query result: " + JSON.stringify(counted))
  if (history.total !== 2 || history.loads.find((l) => l.resource === "users")?.rowsPerTable.users !== 7) throw new Error("unexpected loads: " + JSON.stringify(history))
  // The dashboard served from this program, over its own database layer.
  const tree = yield* Effect.scoped(Effect.flatMap(Dashboard.serve({ dataset: "consumer", resources: [] }), (served) =>
    Effect.promise(() => fetch(served.url + "api/schema").then((r) => r.json()))))
  if (!tree.tables.some((t) => t.name === "users" && t.children.some((c) => c.name === "users__tags"))) throw new Error("unexpected dashboard schema: " + JSON.stringify(tree))
  console.log("consumer ok: " + u.n + " users, " + t.n + " tags, " + p.n + " posts, " + spanNames.length + " spans sent over OTLP")
})

const database = Embedded.layer({})
await program.pipe(
  Effect.provide(Layer.mergeAll(ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer)), Postgres.layer).pipe(Layer.provideMerge(database))),
  Effect.runPromise
).finally(() => { server.close(); receiver.close() })
`

main()
