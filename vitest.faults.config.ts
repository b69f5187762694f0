import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = fileURLToPath(new URL("./src/", import.meta.url))

// One seed for the whole suite (every file reads it): FAULT_SEED=<n> replays a run's choices.
process.env["FAULT_SEED"] ||= String(Date.now() >>> 0)

// The fault suite (`npm run test:faults`): SIGKILLs, terminated backends, a hostile HTTP server
// and mutated configs against the built CLI. Kept out of `npm test` (vitest.config.ts excludes it).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^effect-rest-connector$/, replacement: `${src}index.ts` },
      { find: /^effect-rest-connector\/(.*)$/, replacement: `${src}$1.ts` }
    ]
  },
  test: {
    include: ["test/faults/**/*.test.ts"],
    globalSetup: ["test/faults/buildCli.ts"],
    // Generous: a busy 2-core machine slows every CLI run; a hang is still cut by the CLI helper's own timeout.
    testTimeout: 420_000,
    hookTimeout: 120_000,
    // Two files at a time (most of the time is spent waiting on CLI processes); the kill test
    // times its kills from the runs it measures, so a busy machine shifts them, not the checks.
    maxWorkers: 2,
    minWorkers: 1
  }
})
