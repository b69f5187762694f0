/**
 * The real CLI (`bin/rest-connector.mjs` → dist/) as a child process in a process group of its
 * own, so a test can SIGKILL the CLI alone (its embedded database process, orphaned, closes
 * when its stdin ends) or the whole group (the database process dies mid-write too).
 */
import { spawn } from "node:child_process"
import * as path from "node:path"

export const root = path.resolve(import.meta.dirname, "../..")

/** The API token every fault test uses; it must never appear in any output. */
export const SECRET = "tok-fault-5ecret-c0ffee42"

export interface CliOutcome {
  /** Exit code; null when killed by a signal. */
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly millis: number
  /** Killed by our safety timeout (a hang). */
  readonly timedOut: boolean
}

export interface CliProcess {
  readonly pid: number
  readonly done: Promise<CliOutcome>
  /** SIGKILL the CLI (`cli`) or its whole process group (`group`); false if it had already exited. */
  readonly kill: (scope: "cli" | "group") => boolean
  /** Resolves once stderr has matched `pattern` `times` times (true), or the CLI exited first (false). */
  readonly stderrMatches: (pattern: RegExp, times: number) => Promise<boolean>
  /** Resolves once no process of its group is left (an orphaned database process has closed). */
  readonly groupGone: (timeoutMillis?: number) => Promise<number>
}

const alive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (millis: number) => new Promise<void>((done) => setTimeout(done, millis))

export const startCli = (
  args: ReadonlyArray<string>,
  env: Record<string, string | undefined> = {},
  timeoutMillis = 120_000
): CliProcess => {
  const started = Date.now()
  const child = spawn(process.execPath, [path.join(root, "bin/rest-connector.mjs"), ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: "", ANALYTICS_API_KEY: SECRET, ...env }
  })
  const pid = child.pid
  if (pid === undefined) throw new Error("the CLI did not start")
  let stdout = ""
  let stderr = ""
  const watchers = new Set<() => void>()
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d
    for (const w of watchers) w()
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    if (alive(pid)) process.kill(-pid, "SIGKILL")
  }, timeoutMillis)
  const done = new Promise<CliOutcome>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, millis: Date.now() - started, timedOut })
    })
  })
  const kill = (scope: "cli" | "group"): boolean => {
    if (child.exitCode !== null || child.signalCode !== null) return false
    try {
      process.kill(scope === "group" ? -pid : pid, "SIGKILL")
      return true
    } catch {
      return false
    }
  }
  const stderrMatches = (pattern: RegExp, times: number) =>
    new Promise<boolean>((resolve) => {
      const check = () => {
        if ((stderr.match(new RegExp(pattern.source, "g")) ?? []).length < times) return
        watchers.delete(check)
        resolve(true)
      }
      watchers.add(check)
      check()
      void done.then(() => {
        watchers.delete(check)
        resolve(false)
      })
    })
  const groupGone = async (limit = 60_000): Promise<number> => {
    const from = Date.now()
    while (alive(pid)) {
      if (Date.now() - from > limit) {
        process.kill(-pid, "SIGKILL")
        throw new Error(`processes of the CLI's group (pgid ${pid}) still alive after ${limit} ms`)
      }
      await sleep(25)
    }
    return Date.now() - from
  }
  return { pid, done, kill, stderrMatches, groupGone }
}

export const runCli = (args: ReadonlyArray<string>, env?: Record<string, string | undefined>): Promise<CliOutcome> =>
  startCli(args, env).done

/** One line for a log or an assertion message. */
export const describeOutcome = (o: CliOutcome): string =>
  o.timedOut ? `timed out after ${o.millis} ms` : o.signal !== null ? `killed (${o.signal})` : `exit ${o.code}`

/** What no output may hold: the secret, or a warning from Node or a dependency. */
export const outputProblems = (o: CliOutcome): ReadonlyArray<string> => [
  ...(o.stdout.includes(SECRET) || o.stderr.includes(SECRET) ? ["the secret"] : []),
  ...(/\(node:\d+\)|Warning:/.test(o.stderr) ? [`a warning: ${/.*Warning.*/.exec(o.stderr)?.[0]}`] : [])
]
