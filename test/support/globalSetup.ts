// The end-to-end tests run the CLI as users do (bin/rest-connector.mjs → dist/); build it
// from the current sources first so they never test a stale bundle.
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build.mjs", import.meta.url))], { stdio: "inherit" })
}
