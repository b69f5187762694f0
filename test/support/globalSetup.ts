// The end-to-end tests run the CLI as users do (bin/rest-connector.mjs → dist/) and the
// benchmark's bundle (build/bench.mjs); build both from the current sources first so they
// never test a stale build.
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

export default function setup(): void {
  for (const script of ["build.mjs", "build-bench.mjs"]) {
    execFileSync(process.execPath, [fileURLToPath(new URL(`../../scripts/${script}`, import.meta.url))], { stdio: "inherit" })
  }
}
