/** A config written to a file of its own in a fresh temporary folder, removed with the scope. */
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"

/** The path of `fileName` (its name makes the default dataset) holding `config` as JSON. */
export const scopedConfigFile = (fileName: string, config: unknown) =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-config-"))),
      (d) => Effect.promise(() => rm(d, { recursive: true, force: true }))
    )
    const file = path.join(dir, fileName)
    yield* Effect.promise(() => writeFile(file, JSON.stringify(config)))
    return file
  })
