/**
 * `rest-connector dashboard` in a real browser (Debian's Chromium, headless, through
 * playwright-core) over a dataset loaded by three CLI runs from the demo API on loopback (one
 * of them failed): each section shows what the database holds, the chart has a point per
 * load, the SQL box returns rows and refuses writes. A screenshot of each section goes to
 * test/artifacts/ for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdir, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import { type Browser, launchBrowser, type Page } from "../support/browser.js"
import { uniqueDatasetName } from "../support/database.js"
import { OPS_TOKEN, runOps, storageArgs, writeOpsConfig } from "../support/opsDataset.js"
import { repoRoot, runCli } from "../support/runCli.js"
import { rawRequest } from "../support/rawHttp.js"

const artifacts = path.join(repoRoot, "test/artifacts")
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

interface LoadJson {
  readonly loadId: string
  readonly resource: string
  readonly rows: number
}
interface StateJson {
  readonly resource: string
  readonly lastValue: unknown
  readonly perParentCursors: number | null
}

/** Starts the dashboard; its URL (the first line on stdout). */
const startDashboard = (args: ReadonlyArray<string>): Promise<{ readonly child: ChildProcess; readonly url: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/rest-connector.mjs"), "dashboard", ...args], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()))
    child.on("exit", (code) => reject(new Error(`dashboard exited (${code}): ${stderr}`)))
    createInterface({ input: child.stdout! }).once("line", (url) => resolve({ child, url }))
  })

const stop = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    child.removeAllListeners("exit")
    child.once("exit", (code) => resolve(code))
    child.kill("SIGINT")
  })

const cellTexts = (page: Page, selector: string) => page.locator(selector).allTextContents()

describe.each([{ name: "embedded database", server: false }, ...(serverUrl === undefined ? [] : [{ name: "Postgres server", server: true }])])(
  "dashboard in Chromium on the $name",
  { timeout: 300_000 },
  (target) => {
    let api: DemoApi
    let dir: string
    let config: string
    let browser: Browser | undefined
    let dashboard: { readonly child: ChildProcess; readonly url: string } | undefined
    const dataset = uniqueDatasetName("dash")
    let loads: ReadonlyArray<LoadJson> = []
    let states: ReadonlyArray<StateJson> = []
    let snippetCount = 0
    const shot = (name: string) => browser!.page.screenshot({ path: path.join(artifacts, `dashboard-${target.server ? "server" : "embedded"}-${name}.png`), fullPage: true })

    beforeAll(async () => {
      // First: without Chromium or playwright-core this fails at once, saying how to install them.
      browser = await launchBrowser()
      dir = await mkdtemp(path.join(tmpdir(), "rc-dash-"))
      await mkdir(artifacts, { recursive: true })
      api = await startDemoApi({ rows: { appointment_links: 4, code_snippets: 30, insights_reports: 6 }, token: OPS_TOKEN })
      config = await writeOpsConfig(dir, api)
      const storage = storageArgs(target.server, dir)
      for (const token of [OPS_TOKEN, "wrong-token", OPS_TOKEN]) await runOps(config, dataset, storage, token)
      const cli = async (args: ReadonlyArray<string>) => {
        const r = await runCli([...args, "--dataset", dataset, ...storage])
        expect(r.code, r.stderr).toBe(0)
        return JSON.parse(r.stdout)
      }
      loads = await cli(["loads", config, "--json", "--limit", "0"])
      states = await cli(["state", config, "--json"])
      snippetCount = Number((await cli(["query", config, "SELECT count(*) AS n FROM snippets", "--json"]))[0].n)
      dashboard = await startDashboard([config, "--dataset", dataset, ...storage])
      await browser.page.setViewportSize({ width: 1280, height: 900 })
      await browser.page.goto(dashboard.url)
      await browser.page.locator("body[data-ready=true]").waitFor({ state: "attached", timeout: 30_000 })
    }, 240_000)
    afterAll(async () => {
      await browser?.close()
      if (dashboard !== undefined) expect(await stop(dashboard.child)).toBe(130)
      await api?.close()
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    }, 60_000)

    it("Overview: every resource's last run, and the last run's timeline", async () => {
      const page = browser!.page
      expect(await cellTexts(page, "#overview-table tbody tr td:nth-child(1)")).toEqual(["links", "snippets", "link_reports"])
      expect(await cellTexts(page, "#overview-table tbody tr td:nth-child(2)")).toEqual(["committed", "committed", "committed"])
      const newest = new Map<string, LoadJson>()
      for (const l of loads) if (!newest.has(l.resource)) newest.set(l.resource, l)
      expect(await cellTexts(page, "#overview-table tbody tr td:nth-child(10)")).toEqual(
        ["links", "snippets", "link_reports"].map((r) => newest.get(r)?.loadId)
      )
      expect(await page.locator("#timeline g.lane").count()).toBe(3)
      for (const mark of ["started", "first page", "fetched", "committed"]) {
        expect(await page.locator(`#timeline line[data-mark="${mark}"]`).count(), mark).toBe(3)
      }
      // The config, its API key reference as ***.
      const shownConfig = await page.locator("#config-body").textContent()
      expect(shownConfig).toContain("\"api_key\": \"***\"")
      expect(shownConfig).toContain("/appointmentlinks/me")
      await shot("overview")
    })

    it("History: one chart point per load, per resource; the failed run with its error", async () => {
      const page = browser!.page
      await page.locator("#nav-history").click()
      await page.locator("#history").waitFor({ state: "visible" })
      expect(loads.length).toBeGreaterThanOrEqual(6)
      expect(await page.locator("#history-chart circle.point").count()).toBe(loads.length)
      for (const resource of ["links", "snippets", "link_reports"]) {
        expect(await page.locator(`#history-chart circle.point[data-resource="${resource}"]`).count()).toBe(
          loads.filter((l) => l.resource === resource).length
        )
      }
      expect(await page.locator("#loads-table tbody tr").count()).toBe(loads.length)
      expect(await cellTexts(page, "#runs-table tbody tr td:nth-child(2)")).toEqual(["committed", "failed", "committed"])
      expect(await page.locator("#runs-table tbody tr").nth(1).textContent()).toContain("401")
      expect(await page.locator("#runs-table").textContent()).not.toContain(OPS_TOKEN)
      await shot("history")
    })

    it("Schema: root tables with their child tables nested, keys and source keys", async () => {
      const page = browser!.page
      await page.locator("#nav-schema").click()
      for (const [root, children] of [["links", ["links__attendees", "links__tags"]], ["snippets", ["snippets__files", "snippets__tags"]]] as const) {
        const node = page.locator(`#schema-tree > li > details[data-table="${root}"]`)
        expect(await node.count()).toBe(1)
        expect(await node.locator("summary .meta").first().textContent()).toContain("primary key id")
        for (const child of children) expect(await node.locator(`details[data-table="${child}"]`).count(), child).toBe(1)
      }
      expect(await page.locator(`details[data-table="link_reports"] > summary .meta`).textContent()).toContain("append")
      expect(await cellTexts(page, "#columns-links tbody tr td:nth-child(1)")).toContain("owner__email")
      const ownerEmail = page.locator("#columns-links tbody tr").nth((await cellTexts(page, "#columns-links tbody tr td:nth-child(1)")).indexOf("owner__email"))
      expect(await ownerEmail.locator("td:nth-child(4)").textContent()).toBe("owner.email")
      await shot("schema")
    })

    it("State: the incremental cursors as stored", async () => {
      const page = browser!.page
      await page.locator("#nav-state").click()
      expect(await cellTexts(page, "#state-table tbody tr td:nth-child(1)")).toEqual(states.map((s) => s.resource))
      const snippets = states.find((s) => s.resource === "snippets")
      expect(await page.locator("#state-table tbody tr").nth(1).locator("td:nth-child(4)").textContent()).toBe(String(snippets?.lastValue))
      const reports = states.find((s) => s.resource === "link_reports")
      expect(reports?.perParentCursors).toBe(4)
      expect(await page.locator("#state-table tbody tr").nth(2).locator("td:nth-child(5)").textContent()).toBe("4")
      await shot("state")
    })

    it("Data: a table's first rows; the SQL box returns rows and refuses writes", async () => {
      const page = browser!.page
      await page.locator("#nav-data").click()
      await page.locator("#table-select").selectOption("snippets")
      await page.locator("#rows-form button").click()
      await page.locator("#rows-table").waitFor()
      expect(await page.locator("#rows-table tbody tr").count()).toBe(Math.min(20, snippetCount))
      const run = async (sql: string) => {
        await page.locator("#query-sql").fill(sql)
        await page.locator("#query-run").click()
        await page.locator("#query-table, #query-error:not([hidden])").first().waitFor({ state: "visible" })
      }
      for (const write of ["DELETE FROM snippets", "UPDATE snippets SET _rc_load_id = 'x'", "INSERT INTO snippets (_rc_id) VALUES ('x')",
        "DROP TABLE snippets", "SELECT * INTO stolen FROM snippets", "SELECT 1; DELETE FROM snippets"]) {
        await run(write)
        expect(await page.locator("#query-error").isVisible(), write).toBe(true)
        expect(await page.locator("#query-error").textContent(), write).toMatch(/read-only|one statement/)
      }
      await run("SELECT count(*) AS n FROM snippets")
      expect(await page.locator("#query-table tbody td").textContent()).toBe(String(snippetCount))
      await run("SELECT id, _rc_load_id FROM snippets ORDER BY id LIMIT 5")
      expect(await page.locator("#query-table tbody tr").count()).toBe(5)
      await shot("data")
    })

    it("refuses a foreign Host (DNS rebinding) and a cross-origin POST; no secret in any answer", async () => {
      const url = new URL(dashboard!.url)
      const evilHost = await rawRequest(url, { path: "/api/state", headers: { host: "evil.example" } })
      expect(evilHost.status).toBe(403)
      const crossOrigin = await rawRequest(url, {
        method: "POST",
        path: "/api/query",
        headers: { host: url.host, origin: "http://evil.example", "content-type": "application/json" },
        body: JSON.stringify({ sql: "SELECT 1" })
      })
      expect(crossOrigin.status).toBe(403)
      const form = await rawRequest(url, {
        method: "POST",
        path: "/api/query",
        headers: { host: url.host, "content-type": "application/x-www-form-urlencoded" },
        body: "sql=SELECT+1"
      })
      expect(form.status).toBe(403)
      expect(browser!.console.filter((line) => line.startsWith("pageerror"))).toEqual([])
      // No secret anywhere: neither the API key nor the wrong one the failed run sent.
      for (const endpoint of ["/", "/api/overview", "/api/history", "/api/schema", "/api/state", "/api/tables/_rc_runs?limit=100"]) {
        const body = (await rawRequest(url, { path: endpoint, headers: { host: url.host } })).body
        expect(body, endpoint).not.toContain(OPS_TOKEN)
        expect(body, endpoint).not.toContain("wrong-token")
      }
    })
  }
)
