#!/usr/bin/env -S node --max-old-space-size=192 --max-semi-space-size=8
// The heap limits keep memory flat and small (the live set of a run is well under 100 MB;
// without a limit V8 lets garbage grow the heap to several hundred MB). For APIs with
// huge pages, raise them: node --max-old-space-size=2048 bin/rest-connector.mjs ...
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
