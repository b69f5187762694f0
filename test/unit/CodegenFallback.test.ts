/**
 * Where code cannot be generated from strings (`node --disallow-code-generation-from-strings`,
 * some hardened hosts), the Schema fast path's struct decoders and the COPY row writers use
 * their loops instead of their unrolled forms, with the same results.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as path from "node:path"
import { promisify } from "node:util"

const root = path.resolve(import.meta.dirname, "../..")

describe("without code generation from strings", () => {
  it("decoders and row writers fall back to their loops and agree with Effect's parser and the COPY format", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--disallow-code-generation-from-strings", "--import", "tsx", path.join(root, "test/support/codegenFallback.ts")],
      { cwd: root }
    )
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toEqual({
      generationDisabled: true,
      decoded: 600,
      disagreements: [],
      copyText: "1\ta\\tb\t1970-01-01T00:00:00.000Z\n2\t\\N\t\\N\n"
    })
  }, 60_000)
})
