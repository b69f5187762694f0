// Bundles our own code (not node_modules) into one ESM file for the CLI. Node then loads
// Effect and friends with its native loader; running src through tsx's loader hooks made
// every start ~2 s slower. Takes about 0.1 s; `npm ci` (prepare) and `npm start` run it.
import { build } from "esbuild"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/rest-connector.mjs",
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning"
})
