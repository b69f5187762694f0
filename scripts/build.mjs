// Builds the package: dist/ holds ESM JavaScript, .d.ts and declaration maps, one file per
// module (tsc, incremental: a build with nothing changed takes about a second), and
// rest-api-config.schema.json is the config's JSON Schema, generated from its Effect Schema
// (run-report.schema.json likewise, for `run --json`'s output). It also compiles the demo's
// config and initializes the embedded database's template data directory (both below).
// `npm ci` (prepare), `npm pack` (prepack) and `npm start` run it.
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" })

const { toJsonSchema } = await import(new URL("../dist/RestApiConfig.js", import.meta.url).href)
writeFileSync(new URL("../rest-api-config.schema.json", import.meta.url), JSON.stringify(toJsonSchema(), null, 2) + "\n")
const { toJsonSchema: reportSchema } = await import(new URL("../dist/RunReport.js", import.meta.url).href)
writeFileSync(new URL("../run-report.schema.json", import.meta.url), JSON.stringify(reportSchema(), null, 2) + "\n")

// The demo's config, compiled, so `demo` loads plain JavaScript instead of starting tsx and
// esbuild (~60 MB) to compile two small files on every run. Types are checked by `npm run typecheck`.
const ts = createRequire(import.meta.url)("typescript")
const examples = new URL("../examples/analytics/", import.meta.url)
const compiled = new URL("../dist/examples/analytics/", import.meta.url)
mkdirSync(compiled, { recursive: true })
for (const name of readdirSync(examples).filter((f) => f.endsWith(".ts"))) {
  const { outputText } = ts.transpileModule(readFileSync(new URL(name, examples), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false }
  })
  writeFileSync(new URL(name.replace(/\.ts$/, ".js"), compiled), outputText)
}

// The embedded database's initialized data directory, one per PGlite version: a new data
// directory starts as a copy of it instead of running initdb (see src/internal/load/embeddedSetup.ts).
const { templateDir } = await import(new URL("../dist/internal/load/embeddedSetup.js", import.meta.url).href)
const template = templateDir()
if (template !== undefined && !existsSync(path.join(template, "PG_VERSION"))) {
  const partial = `${template}.partial`
  rmSync(partial, { recursive: true, force: true })
  const init = "const { PGlite } = await import('@electric-sql/pglite'); const db = new PGlite(process.argv[1]); await db.waitReady; await db.close()"
  execFileSync(process.execPath, ["--input-type=module", "-e", init, partial], { cwd: root, stdio: "inherit" })
  rmSync(template, { recursive: true, force: true })
  renameSync(partial, template)
}
if (template !== undefined) {
  // Templates of other PGlite versions are left over from before an upgrade.
  const dist = path.dirname(template)
  for (const old of readdirSync(dist).filter((f) => f.startsWith("pglite-template-") && f !== path.basename(template))) {
    rmSync(path.join(dist, old), { recursive: true, force: true })
  }
}
