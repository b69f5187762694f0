#!/usr/bin/env node
// The CLI runs from the bundle `npm ci` / `npm start` build (scripts/build.mjs). Without
// one (a checkout where nothing was built yet), it runs the TypeScript sources through tsx.
import { existsSync } from "node:fs"

const bundle = new URL("../dist/rest-connector.mjs", import.meta.url)
if (existsSync(bundle)) {
  await import(bundle.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/cli/main.ts")
}
