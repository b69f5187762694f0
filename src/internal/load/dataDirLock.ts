/**
 * One process at a time per embedded data directory. Two PGlite instances on one folder each
 * keep their own view of it and overwrite each other's files, so the second run of a cron job
 * that overlaps the first would fail on duplicate keys or leave a corrupted folder.
 *
 * `<dir>/.lock` is created exclusively (`wx`, i.e. O_CREAT | O_EXCL) and names its holder: pid,
 * start time, host, and the pid of the database's child process once it runs. Another process
 * waits for it (saying so once) and fails after `waitTimeout`. A lock whose processes are all
 * gone (SIGKILL, a crash, a power cut) is stale and taken over; a pid that is running again but
 * started at another time (pid reuse, e.g. a new container) counts as gone too (Linux, /proc).
 */
import { Data, Duration, Effect, Option, Schema } from "effect"
import type { Scope } from "effect"
import { randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { mkdir, readFile, realpath, rename, stat, unlink, writeFile } from "node:fs/promises"
import { hostname } from "node:os"
import * as path from "node:path"

const Holder = Schema.Struct({
  pid: Schema.Int,
  /** The holder's start, ms since the epoch (as `startedAt` reads it). */
  started: Schema.optional(Schema.Number),
  host: Schema.String,
  token: Schema.String,
  /** The database's child process, which may outlive its parent while it flushes the folder. */
  child: Schema.optional(Schema.Int),
  childStarted: Schema.optional(Schema.Number)
})
export type Holder = typeof Holder.Type
const decodeHolder = Schema.decodeUnknownOption(Schema.parseJson(Holder))

export const lockFileName = ".lock"

/** Another process kept the data directory for longer than the caller would wait. */
export class DataDirBusy extends Data.TaggedError("DataDirBusy")<{
  readonly dir: string
  readonly lockFile: string
  readonly holder: Holder | undefined
  readonly waited: Duration.Duration
}> {
  override get message(): string {
    const h = this.holder
    const who = h === undefined
      ? "an unknown process"
      : `pid ${h.pid}${h.host === hostname() ? "" : ` on ${h.host}`}${
        h.started === undefined ? "" : `, started ${new Date(h.started).toISOString()}`
      }`
    return `${this.dir} is in use by another rest-connector process (${who}); gave up after waiting ${
      Duration.format(this.waited)
    }. If no such process is running, delete ${this.lockFile}`
  }
}

const CLOCK_TICKS_PER_SECOND = 100 // USER_HZ: 100 on every Linux architecture Node runs on

/** When `pid` started (ms since the epoch), from /proc; undefined elsewhere or when unreadable. */
export const startedAt = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Field 22 (starttime); the command name (field 2) may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[19])
    const boot = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1])
    return Number.isFinite(ticks) && Number.isFinite(boot) ? boot * 1000 + (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined
  } catch {
    return undefined
  }
}

/** `pid` runs and, where its start time can be read, is the process that took the lock. */
const isRunning = (pid: number, started: number | undefined): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    // EPERM: it runs, under another user.
    return e instanceof Error && "code" in e && e.code === "EPERM"
  }
  const actual = started === undefined ? undefined : startedAt(pid)
  // /proc's boot time is whole seconds and may be re-estimated by a second.
  return actual === undefined || started === undefined || Math.abs(actual - started) < 2500
}

/** Folders this process holds: another layer here waits too; our own pid in a lock is then not stale. */
const heldHere = new Set<string>()

const holderAlive = (key: string, h: Holder): boolean => {
  if (h.host !== hostname()) return true // a pid on another machine cannot be checked
  const childRuns = h.child !== undefined && isRunning(h.child, h.childStarted)
  return (h.pid === process.pid ? heldHere.has(key) : isRunning(h.pid, h.started)) || childRuns
}

const hasCode = (e: unknown, code: string): boolean => e instanceof Error && "code" in e && e.code === code

/** Creates `file` with `content` unless it exists (false then). */
const createExclusive = (file: string, content: string): Promise<boolean> =>
  writeFile(file, content, { flag: "wx" }).then(() => true, (e: unknown) => hasCode(e, "EEXIST") ? false : Promise.reject(e))

type Read = { readonly _tag: "Missing" } | { readonly _tag: "Holder"; readonly holder: Holder; readonly raw: string } | {
  readonly _tag: "Unreadable"
  readonly raw: string
  readonly ageMillis: number
}

const readLock = async (file: string): Promise<Read> => {
  try {
    const raw = await readFile(file, "utf8")
    const holder = decodeHolder(raw)
    if (Option.isSome(holder)) return { _tag: "Holder", holder: holder.value, raw }
    const { mtimeMs } = await stat(file)
    return { _tag: "Unreadable", raw, ageMillis: Date.now() - mtimeMs }
  } catch (e) {
    if (hasCode(e, "ENOENT")) return { _tag: "Missing" }
    throw e
  }
}

/** An empty or garbled lock this old was not just being written: its writer died. */
const UNREADABLE_STALE_MILLIS = 10_000

const isStale = (key: string, read: Read): boolean =>
  read._tag === "Holder" ? !holderAlive(key, read.holder) : read._tag === "Unreadable" && read.ageMillis > UNREADABLE_STALE_MILLIS

/**
 * Removes the stale lock whose content was `raw`, under `.lock.takeover` so that of two
 * processes finding it stale, the second cannot remove the lock the first has just created.
 */
const removeStale = async (key: string, file: string, raw: string, mine: string): Promise<void> => {
  const guard = `${file}.takeover`
  if (!(await createExclusive(guard, mine))) {
    const other = await readLock(guard)
    // Its holder died in the middle of a takeover: clear it for the next attempt.
    if (isStale(key, other)) await unlink(guard).catch(() => undefined)
    return
  }
  try {
    const now = await readLock(file)
    if (now._tag !== "Missing" && now.raw === raw) await unlink(file).catch(() => undefined)
  } finally {
    await unlink(guard).catch(() => undefined)
  }
}

type Attempt =
  | { readonly _tag: "Acquired"; readonly replaced: Holder | undefined }
  | { readonly _tag: "Busy"; readonly holder: Holder | undefined }

const attempt = async (key: string, file: string, mine: string): Promise<Attempt> => {
  if (await createExclusive(file, mine)) return { _tag: "Acquired", replaced: undefined }
  const current = await readLock(file)
  if (current._tag === "Missing") return attempt(key, file, mine) // released in between
  if (!isStale(key, current)) return { _tag: "Busy", holder: current._tag === "Holder" ? current.holder : undefined }
  await removeStale(key, file, current.raw, mine)
  const replaced = current._tag === "Holder" ? current.holder : undefined
  return (await createExclusive(file, mine)) ? { _tag: "Acquired", replaced } : { _tag: "Busy", holder: undefined }
}

export interface LockOptions {
  /** How long to wait for another process to release the folder (default 5 minutes). */
  readonly waitTimeout?: Duration.DurationInput | undefined
}

export interface DataDirLock {
  /** Names the database's child process in the lock, so a lock it outlives its parent with stays taken. */
  readonly recordChild: (pid: number) => Effect.Effect<void>
}

const POLL = Duration.millis(250)

const lockFailed = (dir: string) => (cause: unknown) =>
  new DataDirLockError({ dir, cause, message: `failed to open ${dir}: ${cause instanceof Error ? cause.message : String(cause)}` })

/** The folder could not be created or its lock file written (permissions, a file in its place). */
export class DataDirLockError extends Data.TaggedError("DataDirLockError")<{
  readonly dir: string
  readonly message: string
  readonly cause: unknown
}> {}

/**
 * Takes `dir` (created if missing) for this scope, waiting while another process holds it;
 * released when the scope closes.
 */
export const acquire = (
  dir: string,
  options: LockOptions = {}
): Effect.Effect<DataDirLock, DataDirBusy | DataDirLockError, Scope.Scope> =>
  Effect.gen(function*() {
    const key = yield* Effect.tryPromise({
      try: () => mkdir(dir, { recursive: true }).then(() => realpath(dir)),
      catch: lockFailed(dir)
    })
    const file = path.join(key, lockFileName)
    const token = randomUUID()
    let holder: Holder = { pid: process.pid, started: startedAt(process.pid), host: hostname(), token }
    const timeout = Duration.decode(options.waitTimeout ?? Duration.minutes(5))
    const began = Date.now()
    let warned = false
    for (;;) {
      const mine = JSON.stringify(holder) + "\n"
      const result = yield* Effect.tryPromise({ try: () => attempt(key, file, mine), catch: lockFailed(dir) })
      if (result._tag === "Acquired") {
        if (result.replaced !== undefined) {
          yield* Effect.logWarning(`took over ${file}, left by pid ${result.replaced.pid}, which is no longer running`)
        }
        break
      }
      const waited = Duration.millis(Date.now() - began)
      if (Duration.greaterThanOrEqualTo(waited, timeout)) {
        return yield* new DataDirBusy({ dir: key, lockFile: file, holder: result.holder, waited: timeout })
      }
      if (!warned) {
        warned = true
        const pid = result.holder === undefined ? "pid unknown" : `pid ${result.holder.pid}`
        yield* Effect.logWarning(`waiting for another rest-connector process using ${key} (${pid})…`)
      }
      yield* Effect.sleep(Duration.min(POLL, Duration.subtract(timeout, waited)))
    }
    heldHere.add(key)
    yield* Effect.addFinalizer(() =>
      Effect.promise(async () => {
        heldHere.delete(key)
        const now = await readLock(file).catch(() => undefined)
        if (now?._tag === "Holder" && now.holder.token === token) await unlink(file).catch(() => undefined)
      })
    )
    return {
      recordChild: (pid: number) =>
        Effect.promise(async () => {
          holder = { ...holder, child: pid, childStarted: startedAt(pid) }
          // Written aside and renamed over the lock, so it is never seen half written.
          const aside = `${file}.${token}`
          await writeFile(aside, JSON.stringify(holder) + "\n")
          await rename(aside, file)
        }).pipe(Effect.catchAllDefect(() => Effect.void))
    }
  })
