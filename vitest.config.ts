import { fileURLToPath } from "node:url"
import { configDefaults, defineConfig } from "vitest/config"

const src = fileURLToPath(new URL("./src/", import.meta.url))

export default defineConfig({
  resolve: {
    // Inside this repository the package's own name means its sources (as in tsconfig.json).
    alias: [
      { find: /^effect-rest-connector$/, replacement: `${src}index.ts` },
      { find: /^effect-rest-connector\/(.*)$/, replacement: `${src}$1.ts` }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // The fault suite runs on its own: `npm run test:faults` (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, "test/faults/**"],
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // PGlite instances are memory-hungry WASM; keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1
  }
})
