/**
 * Debian's Chromium, headless, driven by playwright-core (a devDependency). Both are required:
 * without them the browser tests fail and say how to install them (CI installs Chromium in
 * `.ci/run`); they never pass silently. `PLAYWRIGHT_CORE_DIR` may name a folder that holds
 * `node_modules/playwright-core` when it is not installed in the repository.
 */
import { existsSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"

export const chromiumPath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

/** The flags this machine needs; the profile is a fresh temp folder per launch. */
const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** What the tests use of a playwright Locator. */
export interface Locator {
  count(): Promise<number>
  allTextContents(): Promise<Array<string>>
  textContent(): Promise<string | null>
  getAttribute(name: string): Promise<string | null>
  isVisible(): Promise<boolean>
  waitFor(options?: { readonly state?: "attached" | "visible" | "hidden"; readonly timeout?: number }): Promise<void>
  first(): Locator
  nth(index: number): Locator
  locator(selector: string): Locator
  selectOption(value: string): Promise<unknown>
  fill(value: string): Promise<void>
  click(): Promise<void>
}

/** What the tests use of a playwright Page. */
export interface Page {
  goto(url: string): Promise<unknown>
  locator(selector: string): Locator
  screenshot(options: { readonly path: string; readonly fullPage?: boolean }): Promise<unknown>
  setViewportSize(size: { readonly width: number; readonly height: number }): Promise<void>
  on(event: "console" | "pageerror", listener: (message: { toString(): string }) => void): unknown
}

interface Context {
  newPage(): Promise<Page>
  close(): Promise<void>
}

interface Playwright {
  readonly chromium: {
    launchPersistentContext(
      userDataDir: string,
      options: { readonly executablePath: string; readonly headless: boolean; readonly args: ReadonlyArray<string> }
    ): Promise<Context>
  }
}

const isPlaywright = (u: unknown): u is Playwright =>
  typeof u === "object" && u !== null && "chromium" in u && typeof u.chromium === "object" && u.chromium !== null &&
  "launchPersistentContext" in u.chromium && typeof u.chromium.launchPersistentContext === "function"

const installHint = "install them with: apt-get install -y chromium; npm install --save-dev playwright-core@1 " +
  "(or npm install --no-save playwright-core@1 --prefix <dir> and PLAYWRIGHT_CORE_DIR=<dir>)"

const loadPlaywright = async (): Promise<Playwright> => {
  const name = "playwright-core"
  const candidates: Array<() => Promise<unknown>> = [() => import(name)]
  const dir = process.env["PLAYWRIGHT_CORE_DIR"]
  if (dir !== undefined && dir !== "") {
    candidates.push(() => import(pathToFileURL(createRequire(path.join(dir, "index.js")).resolve(name)).href))
  }
  for (const load of candidates) {
    try {
      const module: unknown = await load()
      const lib = typeof module === "object" && module !== null && "default" in module ? module.default : module
      if (isPlaywright(lib)) return lib
    } catch {
      // next candidate
    }
  }
  throw new Error(`the browser tests need playwright-core and Chromium (${chromiumPath}): ${installHint}`)
}

export interface Browser {
  readonly page: Page
  /** What the page logged and threw, for failure messages. */
  readonly console: Array<string>
  readonly close: () => Promise<void>
}

/** A fresh headless Chromium with one page. */
export const launchBrowser = async (): Promise<Browser> => {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium is not installed at ${chromiumPath}: ${installHint}`)
  const playwright = await loadPlaywright()
  const profile = await mkdtemp(path.join(tmpdir(), "rc-chromium-"))
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs
  })
  const page = await context.newPage()
  const console: Array<string> = []
  page.on("console", (m) => console.push(m.toString()))
  page.on("pageerror", (e) => console.push(`pageerror: ${e.toString()}`))
  return {
    page,
    console,
    close: async () => {
      await context.close()
      await rm(profile, { recursive: true, force: true })
    }
  }
}
