/**
 * What keeps the embedded database small. Two things dominate its memory:
 *
 * - `initdb`: a new data directory is initialized inside PGlite's WASM instance, whose memory
 *   only grows (WASM memory never shrinks). The demo's first run peaked at ~1 GB, ~850 MB of
 *   it in the database process. The build therefore initializes one data directory per PGlite
 *   version (`dist/pglite-template-<version>`, `npm run build`), and a new data directory starts
 *   as a copy of it: same files that `initdb` would write, no `initdb` run.
 * - Postgres' buffers: PGlite's defaults (128 MB of shared buffers) fill up as a run loads and
 *   stay resident. 16 MB is plenty for one session that bulk-loads through COPY (which uses its
 *   own 16 MB ring) and reads back by key.
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { existsSync, readFileSync } from "node:fs"
import { copyFile, cp, mkdir } from "node:fs/promises"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** Settings added to PGlite's own start parameters (`PGlite.defaultStartParams`). */
export const memoryStartParams: ReadonlyArray<string> = [
  "-c", "shared_buffers=8MB",
  "-c", "maintenance_work_mem=8MB",
  "-c", "temp_buffers=2MB"
]

const packageName = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, "utf8")).name
  } catch {
    return undefined
  }
}

/** The nearest folder up from `from` with a package.json (whose name is `name`, when given). */
const packageDir = (from: string, name?: string): string | undefined => {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json")
    if (existsSync(file) && (name === undefined || packageName(file) === name)) return dir
    if (path.dirname(dir) === dir) return undefined
  }
}

/** The installed PGlite's version, from its package.json (which its `exports` do not expose). */
const pgliteVersion = (): string | undefined => {
  try {
    const dir = packageDir(path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite")))
    if (dir === undefined) return undefined
    const version: unknown = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).version
    return typeof version === "string" ? version : undefined
  } catch {
    return undefined
  }
}

/** Where the build leaves the initialized data directory for the installed PGlite. */
export const templateDir = (): string | undefined => {
  const version = pgliteVersion()
  // Found by name: this module also runs from src/ (tests) and bundled into build/ (the bench).
  const root = packageDir(path.dirname(fileURLToPath(import.meta.url)), "effect-rest-connector")
  return version === undefined || root === undefined ? undefined : path.join(root, "dist", `pglite-template-${version}`)
}

const initialized = (dir: string) => existsSync(path.join(dir, "PG_VERSION"))

/**
 * Gives a new (missing or empty) data directory the template's files, when the build made one;
 * a directory that holds a database is left alone. PG_VERSION is copied last: until it exists
 * the folder counts as new, so a copy cut short (a kill, a full disk) is simply redone.
 */
export const seedFromTemplate = (dataDir: string): Effect.Effect<void, SqlError> =>
  Effect.tryPromise({
    try: async () => {
      const template = templateDir()
      if (initialized(dataDir) || template === undefined || !initialized(template)) return
      await mkdir(dataDir, { recursive: true })
      const versionFile = path.join(template, "PG_VERSION")
      await cp(template, dataDir, { recursive: true, force: true, filter: (source) => source !== versionFile })
      await copyFile(versionFile, path.join(dataDir, "PG_VERSION"))
    },
    catch: (cause) => new SqlError({ cause, message: `Embedded database: failed to create ${dataDir} from the initialized template` })
  })
