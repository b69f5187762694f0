// Bundles our own code (not node_modules) into one ESM file for the CLI. Node then loads
// Effect and friends with its native loader; running src through tsx's loader hooks made
// every start ~2 s slower. Takes about 0.1 s; `npm ci` (prepare) and `npm start` run it.
import { build } from "esbuild"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

const common = {
  absWorkingDir: root,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  // The examples import the package by name; inside the repo that is our own source.
  alias: { "effect-rest-connector": "./src/index.ts" }
}

await Promise.all([
  build({ ...common, entryPoints: ["src/cli/main.ts"], outfile: "dist/rest-connector.mjs" }),
  // The benchmark runs as plain JS too, so its memory is the pipeline's, not a TS loader's.
  build({ ...common, entryPoints: ["bench/bench.ts"], outfile: "dist/bench.mjs" }),
  build({ ...common, entryPoints: ["bench/phases.ts"], outfile: "dist/phases.mjs" })
])
