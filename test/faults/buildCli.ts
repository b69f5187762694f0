// The fault suite drives the CLI as users run it (bin/rest-connector.mjs → dist/): build dist/
// from the current sources first so it never tests a stale build.
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build.mjs", import.meta.url))], { stdio: "inherit" })
}
