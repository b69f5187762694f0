/**
 * A Postgres server of the test's own (initdb in a temporary folder, a free port), so the test
 * can restart it mid-sync without disturbing the other test files on the shared server. Made
 * with the machine's PostgreSQL binaries (`pg_config --bindir`); as root, they run as the
 * `postgres` user (`runuser`), since Postgres refuses to run as root. `available()` says why not
 * when it cannot be made here.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { freePort } from "../support/ports.js"

export interface PrivatePostgres {
  readonly url: string
  /** `pg_ctl restart -m fast`: every session is ended, the server is back when it resolves. */
  readonly restart: () => void
  readonly stop: () => void
}

const bindir = (): string | undefined => {
  const found = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" })
  const dir = found.status === 0 ? found.stdout.trim() : ""
  return dir !== "" && existsSync(path.join(dir, "initdb")) ? dir : undefined
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0

const postgresUser = (): { uid: number; gid: number } | undefined => {
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" })
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" })
  return id.status === 0 && gid.status === 0 ? { uid: Number(id.stdout), gid: Number(gid.stdout) } : undefined
}

/** Undefined when a private server can be made here, else the reason. */
export const unavailable = (): string | undefined => {
  if (bindir() === undefined) return "no PostgreSQL binaries (pg_config --bindir with initdb)"
  if (isRoot && postgresUser() === undefined) return "running as root without a postgres user to run the server as"
  return undefined
}

export const startPrivatePostgres = async (): Promise<PrivatePostgres> => {
  const bin = bindir()
  if (bin === undefined) throw new Error(unavailable())
  const dir = mkdtempSync(path.join(tmpdir(), "rc-private-pg-"))
  const data = path.join(dir, "data")
  const owner = isRoot ? postgresUser() : undefined
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid)
  const run = (tool: string, args: ReadonlyArray<string>) => {
    const command = isRoot ? "runuser" : path.join(bin, tool)
    const argv = isRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : [...args]
    execFileSync(command, argv, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 })
  }
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
  const port = await freePort()
  // Durability is not under test: no fsync, so the machine's disk does not set the pace.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`
  const ctl = (...args: ReadonlyArray<string>) => run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "-t", "60", ...args])
  ctl("start")
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: () => ctl("-m", "fast", "restart"),
    stop: () => {
      try {
        ctl("-m", "immediate", "stop")
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
