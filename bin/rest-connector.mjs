#!/usr/bin/env -S node --max-old-space-size=1024 --max-semi-space-size=8 --heap-growing-percent=50
// A bounded young generation (8 MB semi-spaces: 18 MB less RSS than 16 MB and no slower on the
// bench, where 32 MB cost 40 MB more for little gain) keeps memory flat and small: the live set of a run is well
// under 100 MB, and with Node's defaults garbage grows the heap to ~500 MB. The
// old-space limit is a ceiling, not a target (a 192 MB one cost 10-15% CPU in extra major GCs);
// heap growth of 50% per major GC (V8 picks up to 4x) keeps a peak of promoted garbage from
// taking the heap 60 MB higher when the machine is busy and concurrent marking runs late.
// For APIs with huge pages, raise it: node --max-old-space-size=4096 bin/rest-connector.mjs ...
// The CLI runs from dist/ (`npm run build`; `npm ci` and `npm start` build it). In a checkout
// where nothing was built yet, it runs the TypeScript sources through tsx.
import { existsSync } from "node:fs"

const built = new URL("../dist/cli/main.js", import.meta.url)
if (existsSync(built)) {
  await import(built.href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/cli/main.ts")
}
