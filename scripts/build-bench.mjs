// Bundles the benchmark scripts (our sources included, node_modules external) into build/, so
// they run as plain JavaScript: the memory measured is the pipeline's, not a TS loader's.
// Not part of the package.
import { build } from "esbuild"
import { fileURLToPath } from "node:url"

const common = {
  absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  // The examples import the package by name; here that is our own source.
  alias: { "effect-rest-connector": "./src" }
}

await Promise.all([
  build({ ...common, entryPoints: ["bench/bench.ts"], outfile: "build/bench.mjs" }),
  build({ ...common, entryPoints: ["bench/phases.ts"], outfile: "build/phases.mjs" }),
  build({ ...common, entryPoints: ["bench/latency.ts"], outfile: "build/latency.mjs" }),
  build({ ...common, entryPoints: ["bench/cluster.ts"], outfile: "build/cluster.mjs" })
])
