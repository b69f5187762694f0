/**
 * The benchmark must not rot: `bench/bench.ts --quick` runs once, as `npm run bench` does (a child
 * process, with its own demo API and the baseline), against the Postgres server when
 * TEST_DATABASE_URL is set, else the embedded database. Its last line is machine-readable.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "../..")
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const runBench = (): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(root, "build/bench.mjs"), "--quick"],
      { cwd: root, env: { ...process.env, DATABASE_URL: serverUrl ?? "" }, timeout: 150_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
        resolve({ code, stdout, stderr })
      }
    )
  })

const lastLine =
  /^bench: rows=(\d+) rows_per_s=(\d+) baseline_rows_per_s=(\d+) ratio=(\d+(?:\.\d+)?) peak_rss_mb=(\d+)$/

describe("npm run bench -- --quick", () => {
  it("runs ours and the baseline and ends with the machine-readable line", async () => {
    const run = await runBench()
    expect(run.stderr).not.toMatch(/baseline failed/)
    expect(run.code).toBe(0)
    const lines = run.stdout.trimEnd().split("\n")
    const match = lastLine.exec(lines[lines.length - 1])
    expect(match, `last line: ${lines[lines.length - 1]}`).not.toBeNull()
    const [rows, perS, baselinePerS, ratio, rss] = (match ?? []).slice(1).map(Number)
    // 2 000 records per resource: 6 000 root rows plus their child-table rows.
    expect(rows).toBeGreaterThan(6000)
    expect(perS).toBeGreaterThan(0)
    expect(baselinePerS).toBeGreaterThan(0)
    expect(ratio).toBeGreaterThan(0)
    expect(Math.abs(ratio - perS / baselinePerS)).toBeLessThan(0.01 * ratio + 0.002)
    expect(rss).toBeGreaterThan(20)
    expect(rss).toBeLessThan(8192)
    expect(run.stdout).toMatch(/records 6000 /)
    expect(run.stdout).toMatch(/baseline .*: 6000 records/)
  }, 180_000)
})
