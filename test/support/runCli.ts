/** `node bin/rest-connector.mjs` as a child process, for end-to-end tests of the CLI, plus a terminal and psql. */
import { execFileSync, spawn } from "node:child_process"
import * as path from "node:path"
import { type CliResult, root as repoRoot, runCli as runCliProcess } from "./cli.js"

export { root as repoRoot, type CliResult } from "./cli.js"

/** Runs the CLI in the repository's root; DATABASE_URL is cleared unless `env` gives one. */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}): Promise<CliResult> =>
  runCliProcess(args, { env })

const installed = (command: string): boolean => {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

/** Whether util-linux `script` is here, to run the CLI on a pseudo-terminal. */
export const hasScript: boolean = installed("script")

/** Whether `psql` is here. */
export const hasPsql: boolean = installed("psql")

const shellQuote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`

/**
 * Runs the CLI on a pseudo-terminal (`script`), typing `reply` once `prompt` appears; the
 * terminal's output (stdout and stderr together) and the exit status.
 */
export const onTerminal = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined>,
  prompt: string,
  reply: string
): Promise<{ readonly code: number; readonly output: string }> =>
  new Promise((resolve, reject) => {
    const command = [process.execPath, path.join(repoRoot, "bin/rest-connector.mjs"), ...args].map(shellQuote).join(" ")
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: "", ...env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let output = ""
    let replied = false
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      if (!replied && output.includes(prompt)) {
        replied = true
        child.stdin.write(`${reply}\n`)
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? 1, output })
    })
  })
