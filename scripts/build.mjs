// Builds the package: dist/ holds ESM JavaScript, .d.ts and declaration maps, one file per
// module (tsc, incremental: a build with nothing changed takes about a second), and
// rest-api-config.schema.json is the config's JSON Schema, generated from its Effect Schema
// (run-report.schema.json likewise, for `run --json`'s output).
// `npm ci` (prepare), `npm pack` (prepack) and `npm start` run it.
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" })

const { toJsonSchema } = await import(new URL("../dist/RestApiConfig.js", import.meta.url).href)
writeFileSync(new URL("../rest-api-config.schema.json", import.meta.url), JSON.stringify(toJsonSchema(), null, 2) + "\n")
const { toJsonSchema: reportSchema } = await import(new URL("../dist/RunReport.js", import.meta.url).href)
writeFileSync(new URL("../run-report.schema.json", import.meta.url), JSON.stringify(reportSchema(), null, 2) + "\n")
