/**
 * Secrets from a `.env` file through the real CLI: `.env` in the working directory by default,
 * `--env-file PATH` otherwise; a variable set in the environment wins over the file.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import { root, runCli } from "../support/cli.js"

const TOKEN = "tok-envfile-3141"
const config = path.join(root, "examples/analytics/analytics.json")

describe("secrets from a .env file", () => {
  let api: DemoApi
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-envfile-"))
    api = await startDemoApi({ rows: 10, token: TOKEN })
  })
  afterAll(async () => {
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  const check = (args: ReadonlyArray<string>, env: Record<string, string | undefined>, cwd = dir) =>
    runCli(["check", config, "--base-url", api.baseUrl, ...args], { env, cwd })

  it(".env in the working directory is read by default", async () => {
    await writeFile(path.join(dir, ".env"), `# the demo API's key\nANALYTICS_API_KEY="${TOKEN}"\n`)
    const result = await check([], { ANALYTICS_API_KEY: undefined })
    expect(result.stderr).toContain("config ok: 3 resource(s), secrets resolved")
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/appointment_links: ok/)
  })

  it("a variable set in the environment wins over the file", async () => {
    await writeFile(path.join(dir, ".env"), `ANALYTICS_API_KEY=${TOKEN}\n`)
    const result = await check([], { ANALYTICS_API_KEY: "wrong-from-env-2718" })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("HTTP 401")
    expect(result.stdout + result.stderr).not.toContain("wrong-from-env-2718")
  })

  it("--env-file reads another file instead", async () => {
    await writeFile(path.join(dir, ".env"), "ANALYTICS_API_KEY=wrong-in-dotenv\n")
    await writeFile(path.join(dir, "prod.env"), `ANALYTICS_API_KEY=${TOKEN}\n`)
    const result = await check(["--env-file", path.join(dir, "prod.env")], { ANALYTICS_API_KEY: undefined })
    expect(result.code, result.stderr).toBe(0)
  })

  it("an --env-file that does not exist fails before anything runs, naming it", async () => {
    const before = api.stats().requests
    const result = await check(["--env-file", path.join(dir, "missing.env")], { ANALYTICS_API_KEY: undefined })
    // Node itself checks an `--env-file` argument, even one after the script, and exits 9
    // (nodejs/node#54232); where it does not, @effect/cli's check is a usage error, 2.
    expect([2, 9]).toContain(result.code)
    expect(result.stderr).toContain("missing.env")
    expect(api.stats().requests).toBe(before)
  })

  it("without a file or the variable, the missing secret is named (exit 2)", async () => {
    await rm(path.join(dir, ".env"), { force: true })
    const result = await check([], { ANALYTICS_API_KEY: undefined })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("secret 'ANALYTICS_API_KEY'")
  })
})
