/**
 * What the benchmark scripts share: their command-line flags and the demo API in a process of
 * its own (its CPU and memory are not counted as the loader's).
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { createInterface } from "node:readline"

export const root = path.resolve(import.meta.dirname, "..")

/** The value after `--name` on the command line. */
export const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

export interface DemoProcess {
  readonly baseUrl: string
  readonly token: string
  readonly stop: () => void
}

/** Starts src/cli/demo/serve.ts with `rows` records per resource and resolves once it listens. */
export const startDemo = (rows: number): Promise<DemoProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "src/cli/demo/serve.ts"), "--rows", String(rows)], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.on("error", reject)
    createInterface({ input: child.stdout }).once("line", (line) => {
      const [, baseUrl, token] = line.split(" ")
      resolve({ baseUrl, token, stop: () => child.kill("SIGTERM") })
    })
  })
