/**
 * Hundreds of hostile configs generated from one seed config: each must either be refused as a
 * config error whose every issue names its path (exit 2), or resolve and run (exit 0 or 1)
 * without touching a canary table; and the secret never shows in any message. All of them are
 * resolved in-process, through the CLI's own path (file → decode → resolve → secrets → source);
 * a sample runs through the real CLI against the demo API and a database holding the canaries.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Option } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { type DemoApi, startDemoApi } from "../../src/cli/demo/demoApi.js"
import { ConfigError } from "../../src/internal/config/configError.js"
import * as Source from "../../src/internal/extract/source.js"
import { uniqueDatasetName } from "../support/database.js"
import { canaryDigest, createCanary } from "./canary.js"
import { describeOutcome, runCli, SECRET } from "./cliProcess.js"
import { type Mutant, type MutationKind, mutants, seedConfig } from "./configMutants.js"
import { violations } from "./invariants.js"
import { faultSeed, makeRng } from "./prng.js"
import { dropDatasets, type Storage, storageArgs, storageFor, withDatabase } from "./storage.js"

const seed = faultSeed()
const COUNT = 240
const CLI_SAMPLE = 20

type Resolved =
  | { readonly _tag: "Resolved"; readonly millis: number }
  | { readonly _tag: "ConfigError"; readonly error: ConfigError; readonly millis: number }
  | { readonly _tag: "Other"; readonly detail: string; readonly millis: number }

const secrets = ConfigProvider.fromMap(new Map([["ANALYTICS_API_KEY", SECRET]]))

/** The CLI's path from a file to a source, in this process. */
const resolveFile = async (file: string): Promise<Resolved> => {
  const started = Date.now()
  const exit = await Effect.runPromiseExit(Source.fromFile(file).pipe(Effect.withConfigProvider(secrets)))
  const millis = Date.now() - started
  if (Exit.isSuccess(exit)) return { _tag: "Resolved", millis }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure) && failure.value instanceof ConfigError) return { _tag: "ConfigError", error: failure.value, millis }
  return { _tag: "Other", detail: Cause.pretty(exit.cause).slice(0, 2000), millis }
}

const label = (m: Mutant) => `mutant ${m.id} (FAULT_SEED=${seed}): ${m.mutations.join("; ")}`
/** A config error's line for one issue: `  <path>: <message>`, the path never empty. */
const issueLine = /^ {2}(\S[^\n]*?): /m

describe(`mutated configs (FAULT_SEED=${seed})`, () => {
  const rng = makeRng(seed)
  let api: DemoApi
  let dir: string
  let storage: Storage
  const dataset = uniqueDatasetName("fm")
  const elsewhere = uniqueDatasetName("fm_other")
  let all: ReadonlyArray<Mutant> = []
  const files = new Map<number, string>()
  const resolved = new Map<number, Resolved>()
  let canaries: ReadonlyArray<string> = []

  const digests = () => withDatabase(storage, Effect.all([canaryDigest(dataset), canaryDigest(elsewhere)]))

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-faults-configs-"))
    storage = storageFor(path.join(dir, "db"))
    api = await startDemoApi({ rows: 60, token: SECRET })
    all = mutants(rng, seedConfig(api.baseUrl), COUNT)
    for (const m of all) {
      const file = path.join(dir, `mutant_${m.id}.json`)
      await writeFile(file, m.text)
      files.set(m.id, file)
    }
    await withDatabase(storage, Effect.all([createCanary(dataset), createCanary(elsewhere)]))
    canaries = await digests()
    // The seed itself loads (so the mutants meet tables that already hold rows).
    const seedFile = path.join(dir, "seed.json")
    await writeFile(seedFile, JSON.stringify(seedConfig(api.baseUrl)))
    const first = await runCli(["run", seedFile, "--dataset", dataset, ...storageArgs(storage)])
    expect(first.code, first.stderr).toBe(0)
  })
  afterAll(async () => {
    await api.close()
    if (storage.kind === "server") await dropDatasets(storage, [dataset, elsewhere])
    await rm(dir, { recursive: true, force: true })
  })

  it(`${COUNT} mutants in-process: a config error naming a path for every issue, or a source; no defect, no secret, no hang`, async () => {
    const problems: Array<string> = []
    for (const m of all) {
      const outcome = await resolveFile(files.get(m.id) ?? "")
      resolved.set(m.id, outcome)
      if (outcome.millis > 10_000) problems.push(`${label(m)}: took ${outcome.millis} ms`)
      if (outcome._tag === "Other") problems.push(`${label(m)}: not a ConfigError: ${outcome.detail}`)
      if (outcome._tag !== "ConfigError") continue
      const { issues, message } = outcome.error
      if (issues.length === 0) problems.push(`${label(m)}: a config error without issues`)
      for (const i of issues) if (i.path === "" && !m.mutations.some((line) => line.includes("(root)"))) {
        problems.push(`${label(m)}: an issue without a path: ${i.message.slice(0, 300)}`)
      }
      if (message.includes(SECRET)) problems.push(`${label(m)}: the secret is in the message`)
    }
    const counts = [...resolved.values()].reduce<Record<string, number>>((acc, r) => ({ ...acc, [r._tag]: (acc[r._tag] ?? 0) + 1 }), {})
    console.log(`[faults seed=${seed}] ${COUNT} mutants: ${JSON.stringify(counts)}`)
    expect(problems).toEqual([])
    // The generator must produce both kinds, or it tests nothing.
    expect(counts["ConfigError"]).toBeGreaterThan(COUNT / 4)
    expect(counts["Resolved"]).toBeGreaterThan(5)
  })

  it(`a sample of ${CLI_SAMPLE} through the real CLI: exit 2 with a path, or exit 0/1 with the canaries untouched; no secret`, async () => {
    // Resolved mutants first (they reach the database, with their odd names), then refused ones.
    const oddKinds: ReadonlyArray<MutationKind> = ["injection", "huge-string", "secret-ref", "number"]
    const odd = (m: Mutant) => oddKinds.some((k) => m.kinds.has(k))
    const ran = all.filter((m) => resolved.get(m.id)?._tag === "Resolved")
    const refused = all.filter((m) => resolved.get(m.id)?._tag === "ConfigError")
    const sample = [...[...ran.filter(odd), ...ran.filter((m) => !odd(m))].slice(0, Math.round(CLI_SAMPLE * 0.6)), ...refused]
      .slice(0, CLI_SAMPLE)
    const problems: Array<string> = []
    const lines: Array<string> = []
    for (const m of sample) {
      const expectRefused = resolved.get(m.id)?._tag === "ConfigError"
      const outcome = await runCli(["run", files.get(m.id) ?? "", "--dataset", dataset, ...storageArgs(storage)])
      const output = outcome.stdout + outcome.stderr
      lines.push(`mutant ${m.id}: ${describeOutcome(outcome)}, ${output.length} bytes of output`)
      if (output.includes(SECRET)) problems.push(`${label(m)}: the secret is in the output`)
      if (expectRefused) {
        if (outcome.code !== 2) problems.push(`${label(m)}: ${describeOutcome(outcome)} for a config error\n${outcome.stderr.slice(0, 1000)}`)
        if (!issueLine.test(outcome.stderr)) problems.push(`${label(m)}: no path in\n${outcome.stderr.slice(0, 1000)}`)
      } else if (outcome.code !== 0 && outcome.code !== 1) {
        problems.push(`${label(m)}: ${describeOutcome(outcome)}\n${outcome.stderr.slice(0, 1000)}`)
      }
      // One connection at a time: two must never open one embedded data folder at once.
      const [after, broken] = await withDatabase(storage, Effect.all([canaryDigest(dataset), canaryDigest(elsewhere), violations(dataset)]).pipe(
        Effect.map(([here, there, found]) => [[here, there], found] as const)
      ))
      if (JSON.stringify(after) !== JSON.stringify(canaries)) problems.push(`${label(m)}: a canary changed: ${after.join(", ")}`)
      if (broken.length > 0) problems.push(`${label(m)}: ${broken.join("; ")}`)
    }
    console.log(lines.map((l) => `[faults seed=${seed}] ${l}`).join("\n"))
    expect(problems).toEqual([])
    expect(sample.length).toBe(CLI_SAMPLE)
  })
})
