/** `rest-connector worker` processes for the cluster tests: started (resolves once listening) and stopped. */
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream } from "node:fs"
import * as path from "node:path"
import { root } from "./cli.js"

/** A worker on 127.0.0.1:`port` joining the cluster in `databaseUrl`; resolves once it listens. */
export const startWorker = async (
  port: number,
  databaseUrl: string | undefined,
  extra: ReadonlyArray<string> = [],
  /** The CLI's launcher (the bench, bundled elsewhere, says where it is). */
  bin = path.join(root, "bin/rest-connector.mjs"),
  /** Added to the worker's environment (tenants' secrets, RC_SECRETS_KEY). */
  env: Readonly<Record<string, string>> = {}
): Promise<ChildProcess> => {
  // RC_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p": node options for each worker (to profile one).
  const nodeArgs = (process.env["RC_WORKER_NODE_ARGS"] ?? "").split(" ").filter((a) => a !== "")
  const child = spawn(process.execPath, [...nodeArgs, bin, "worker", "--listen", `127.0.0.1:${port}`, ...extra], {
    env: { ...process.env, ...env, DATABASE_URL: databaseUrl },
    stdio: ["ignore", "pipe", "pipe"]
  })
  // RC_WORKER_LOGS=<folder> keeps each worker's output (to read after a failed cluster test).
  const logs = process.env["RC_WORKER_LOGS"]
  if (logs !== undefined && logs !== "") {
    const file = createWriteStream(path.join(logs, `worker-${port}-${child.pid}.log`))
    child.stdout?.pipe(file)
    child.stderr?.pipe(file)
  }
  await new Promise<void>((resolve, reject) => {
    let seen = ""
    const onData = (chunk: Buffer) => {
      seen += chunk.toString()
      if (seen.includes("Listening on")) resolve()
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.on("exit", (code) => reject(new Error(`worker exited with ${code}: ${seen}`)))
    setTimeout(() => reject(new Error(`worker did not listen: ${seen}`)), 30_000)
  })
  return child
}

/** SIGTERM, so the runner leaves the cluster (a killed one stays registered until health checks drop it); SIGKILL after 15 s. */
export const stopWorker = (w: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (w.exitCode !== null || w.signalCode !== null) return resolve()
    const timer = setTimeout(() => {
      w.kill("SIGKILL")
      resolve()
    }, 15_000)
    w.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    w.kill("SIGTERM")
  })
