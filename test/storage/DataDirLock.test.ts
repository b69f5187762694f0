/**
 * A data directory is used by one process (and one layer) at a time: its `.lock` file names
 * the holder; others wait, and a lock whose holder is gone is taken over. Real files in a temp
 * folder and real time (the waits are short).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Fiber, Logger, LogLevel } from "effect"
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import * as DataDirLock from "../../src/internal/load/dataDirLock.js"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "rc-lock-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/** The pid of a process that has exited. */
const deadPid = (): number => {
  const done = spawnSync(process.execPath, ["-e", ""])
  return done.pid ?? 999_999
}

const writeLock = (dir: string, holder: Record<string, unknown> | string) =>
  Effect.promise(() => writeFile(join(dir, ".lock"), typeof holder === "string" ? holder : JSON.stringify(holder)))

/** Runs `self` with its warnings collected. */
const withWarnings = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel === LogLevel.Warning) warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const result = yield* self.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return { result, warnings }
  })

describe("data directory lock", () => {
  it.live("a second holder in the same process waits until the first releases the folder", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = join(yield* tempDir, "data")
      const release = yield* Deferred.make<void>()
      const held = yield* Deferred.make<void>()
      const order: Array<string> = []
      const first = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        yield* DataDirLock.acquire(dir)
        order.push("first acquired")
        yield* Deferred.succeed(held, undefined)
        yield* Deferred.await(release)
        order.push("first releases")
      })))
      yield* Deferred.await(held)
      const second = yield* Effect.fork(withWarnings(Effect.scoped(Effect.gen(function*() {
        yield* DataDirLock.acquire(dir)
        order.push("second acquired")
      }))))
      yield* Effect.sleep("600 millis")
      expect(order).toEqual(["first acquired"])
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(first)
      const { warnings } = yield* Fiber.join(second)
      expect(order).toEqual(["first acquired", "first releases", "second acquired"])
      expect(warnings).toEqual([expect.stringContaining(`waiting for another rest-connector process using`)])
      expect(warnings[0]).toContain(`(pid ${process.pid})`)
      // Released: the lock file is gone.
      expect(existsSync(join(dir, ".lock"))).toBe(false)
    })))

  it.live("the lock names this process and, once recorded, the database's child", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const lock = yield* DataDirLock.acquire(dir)
      const child = deadPid()
      yield* lock.recordChild(child)
      const holder = JSON.parse(yield* Effect.promise(() => readFile(join(dir, ".lock"), "utf8")))
      expect(holder).toMatchObject({ pid: process.pid, host: hostname(), child })
    })))

  it.live("a lock left by a process that is no longer running is taken over", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const pid = deadPid()
      yield* writeLock(dir, { pid, host: hostname(), token: "old", child: deadPid() })
      const { warnings } = yield* withWarnings(DataDirLock.acquire(dir))
      expect(warnings).toEqual([`took over ${join(dir, ".lock")}, left by pid ${pid}, which is no longer running`])
      const holder = JSON.parse(yield* Effect.promise(() => readFile(join(dir, ".lock"), "utf8")))
      expect(holder.pid).toBe(process.pid)
    })))

  it.live("a running pid that started at another time (a reused pid) holds nothing", () =>
    Effect.scoped(Effect.gen(function*() {
      const started = DataDirLock.startedAt(process.ppid)
      if (started === undefined) return // no /proc here: a reused pid cannot be told apart
      const dir = yield* tempDir
      yield* writeLock(dir, { pid: process.ppid, started: started - 3_600_000, host: hostname(), token: "old" })
      yield* DataDirLock.acquire(dir, { waitTimeout: "1 second" })
    })))

  it.live("a lock whose parent died while its database child still runs is waited for", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      // The child (here our parent process) may still be flushing the folder.
      yield* writeLock(dir, { pid: deadPid(), host: hostname(), token: "old", child: process.ppid })
      const error = yield* Effect.flip(DataDirLock.acquire(dir, { waitTimeout: "300 millis" }))
      expect(error._tag).toBe("DataDirBusy")
    })))

  it.live("after the timeout: a clear error naming the holder and the lock file", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      const started = DataDirLock.startedAt(process.ppid)
      yield* writeLock(dir, { pid: process.ppid, started, host: hostname(), token: "theirs" })
      const began = Date.now()
      const error = yield* Effect.flip(DataDirLock.acquire(dir, { waitTimeout: "700 millis" }))
      expect(Date.now() - began).toBeGreaterThanOrEqual(650)
      expect(error._tag).toBe("DataDirBusy")
      expect(error.message).toContain(`${dir} is in use by another rest-connector process (pid ${process.ppid}`)
      expect(error.message).toContain("gave up after waiting 700ms")
      expect(error.message).toContain(`delete ${join(dir, ".lock")}`)
      // Not ours: left in place.
      expect(JSON.parse(yield* Effect.promise(() => readFile(join(dir, ".lock"), "utf8"))).token).toBe("theirs")
    })))

  it.live("a lock from another host is never taken over", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      yield* writeLock(dir, { pid: deadPid(), host: `not-${hostname()}`, token: "far" })
      const error = yield* Effect.flip(DataDirLock.acquire(dir, { waitTimeout: 0 }))
      expect(error.message).toContain(`on not-${hostname()}`)
    })))

  it.live("an unreadable lock is waited for while fresh and taken over once old", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      yield* writeLock(dir, "")
      const busy = yield* Effect.either(DataDirLock.acquire(dir, { waitTimeout: "300 millis" }))
      expect(Either.isLeft(busy) && busy.left.message).toContain("an unknown process")
      const old = new Date(Date.now() - 60_000)
      yield* Effect.promise(() => utimes(join(dir, ".lock"), old, old))
      yield* DataDirLock.acquire(dir, { waitTimeout: 0 })
    })))

  it.live("a path that cannot be a folder is a clear error", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = join(yield* tempDir, "file")
      yield* Effect.promise(() => writeFile(file, "x"))
      const error = yield* Effect.flip(DataDirLock.acquire(file))
      expect(error._tag).toBe("DataDirLockError")
      expect(error.message).toContain(`failed to open ${file}`)
    })))
})
