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
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // The kill timings are relative to a measured run: one file at a time keeps them meaningful.
    fileParallelism: false
  }
})
