// The fault suite drives the CLI as users run it (bin/rest-connector.mjs → dist/): build dist/
// from the current sources first so it never tests a stale build.
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  console.log(`fault suite: FAULT_SEED=${process.env["FAULT_SEED"]} (set it to replay this run's choices)`)
  execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build.mjs", import.meta.url))], { stdio: "inherit" })
}
