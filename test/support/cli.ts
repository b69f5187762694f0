/**
 * The real CLI as a child process (`node bin/rest-connector.mjs`), stdout and stderr piped
 * (not a terminal), for the end-to-end tests of what it prints and how it exits.
 */
import { execFile } from "node:child_process"
import * as path from "node:path"

export const root = path.resolve(import.meta.dirname, "../..")

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  /** Added to (or, when undefined, removed from) the test's environment. */
  readonly env?: Record<string, string | undefined>
  /** Working directory (default: the repository). */
  readonly cwd?: string
  /** Written to the CLI's stdin, which is then closed. */
  readonly input?: string
}

export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}): Promise<CliResult> =>
  new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: "", ...options.env }
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
    const child = execFile(
      process.execPath,
      [path.join(root, "bin/rest-connector.mjs"), ...args],
      { cwd: options.cwd ?? root, env, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      }
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })

/** Storage flags: the Postgres server when TEST_DATABASE_URL is set, else the embedded database in `dataDir`. */
export const storageFlags = (dataDir: string): ReadonlyArray<string> => {
  const server = process.env["TEST_DATABASE_URL"] || undefined
  return server !== undefined ? ["--database-url", server] : ["--data-dir", dataDir]
}
