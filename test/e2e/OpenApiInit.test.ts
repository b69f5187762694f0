/**
 * `init --openapi` on public documents (GitHub's, ReadMe's collection): the generated config
 * decodes as `check` decodes it, the generated TypeScript module typechecks under `strict`, each
 * generated Schema decodes the examples the document gives, and the CLI writes a connector that
 * syncs from a loopback server serving the document's examples.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Schema } from "effect"
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import ts from "typescript"
import { parse as parseYaml } from "yaml"
import * as ConnectorConfig from "../../src/internal/config/connectorConfig.js"
import * as Document from "../../src/internal/openapi/document.js"
import { generate, type Generated } from "../../src/internal/openapi/generate.js"
import type { ApiModel } from "../../src/internal/openapi/model.js"
import * as DataSelector from "../../src/internal/syntax/dataSelector.js"
import { root, runCli, storageFlags } from "../support/cli.js"
import { serveExamples } from "../support/openapiExampleServer.js"
import { type PublicDocument, publicDocuments } from "../support/openapiDocuments.js"

/** Inside the repository, so the modules resolve `effect` and `effect-rest-connector` as a user's would. */
const outDir = path.join(root, "tmp", "openapi-generated")

interface Loaded {
  readonly doc: PublicDocument
  readonly model: ApiModel
  readonly generated: Generated
}

const loaded: Array<Loaded> = []

/** A Schema with no requirements (what a generated module's are). */
const isDecodable = (u: unknown): u is Schema.Schema<unknown, unknown, never> => Schema.isSchema(u)

const secretsOf = (generated: Generated) => ConfigProvider.fromMap(new Map(generated.secrets.map((s) => [s, "test-secret-value"])))

describe("init --openapi on public documents", () => {
  beforeAll(async () => {
    await rm(outDir, { recursive: true, force: true })
    for (const doc of publicDocuments) {
      const model = await Effect.runPromise(Document.load(doc.file))
      const options = { name: doc.name, source: doc.file, include: doc.include, exclude: [] }
      const generated = generate(model, { ...options, format: "ts" })
      await mkdir(path.join(outDir, doc.name), { recursive: true })
      for (const file of generated.files) await writeFile(path.join(outDir, doc.name, file.path), file.content)
      loaded.push({ doc, model, generated })
    }
  }, 120_000)

  it("finds resources, children, paginators and auth in each document", () => {
    const summary = Object.fromEntries(loaded.map(({ doc, generated }) => [doc.name, {
      resources: generated.resources.length,
      children: generated.resources.filter((r) => r.plan.parent !== undefined).length,
      autos: generated.resources.filter((r) => r.paginator === "auto").length
    }]))
    for (const { doc, generated } of loaded) expect(generated.resources.length, doc.name).toBeGreaterThan(0)
    const github = loaded.find((l) => l.doc.name === "github")?.generated
    const issues = github?.resources.find((r) => r.plan.name === "repo_issues")
    // GitHub documents a Link header on its lists: header_link, 100 a page; owner and repo need values.
    expect(issues?.paginator).toMatchObject({ type: "header_link" })
    expect(issues?.plan.selected).toBe(false)
    expect(issues?.plan.params).toMatchObject({ owner: "<owner>", repo: "<repo>" })
    const comments = github?.resources.find((r) => r.plan.name === "gist_comments")
    expect(comments?.plan).toMatchObject({ parent: "gists", path: "/gists/{resources.gists.id}/comments", selected: true })
    expect(summary["github"]?.children).toBeGreaterThan(0)
    const trains = loaded.find((l) => l.doc.name === "train_travel")?.generated
    // Lists under `data`; trips needs origin, destination and date (only examples in the
    // document): written, not selected; `GET /bookings/{bookingId}` is a detail child, not selected.
    expect(trains?.resources.map((r) => [r.plan.name, r.plan.kind, r.plan.path, r.plan.dataSelector, r.plan.primaryKey, r.plan.selected])).toEqual([
      ["bookings", "list", "/bookings", "data", "id", true],
      ["stations", "list", "/stations", "data", "id", true],
      ["trips", "list", "/trips", "data", "id", false],
      ["booking_details", "detail", "/bookings/{resources.bookings.id}", "$", "id", false]
    ])
    expect(trains?.resources[2]?.plan.notes.join(" ")).toContain("`origin` (the document's example is filled in)")
    expect(trains?.resources[3]?.paginator).toEqual({ type: "single_page" })
  })

  it("each generated config decodes as check decodes it (JSON and YAML too)", () =>
    Effect.gen(function*() {
      for (const { doc, model, generated } of loaded) {
        for (const format of ["json", "yaml"] as const) {
          const file = generate(model, { name: doc.name, source: doc.file, include: doc.include, exclude: [], format }).files[0]
          const config: unknown = format === "json" ? JSON.parse(file.content) : parseYaml(file.content)
          expect(config, `${doc.name}.${format}`).toEqual(generated.config)
        }
        // As `check` decodes a config file: every path checked, every secret read.
        const spec = yield* ConnectorConfig.resolve(generated.config).pipe(
          Effect.withConfigProvider(secretsOf(generated)),
          Effect.mapError((e) => new Error(`${doc.name}: ${e.message}`))
        )
        expect(spec.resources.length, doc.name).toBe(generated.resources.length)
      }
    }))

  it("each generated TypeScript module typechecks under strict", () => {
    const files = loaded.map(({ doc }) => path.join(outDir, doc.name, `${doc.name}.ts`))
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: []
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) =>
      `${d.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
    )
    expect(diagnostics).toEqual([])
  }, 120_000)

  it("each generated Schema decodes the examples its document gives", async () => {
    let decoded = 0
    for (const { doc, generated } of loaded) {
      const module: unknown = await import(path.join(outDir, doc.name, `${doc.name}.ts`))
      const config: unknown = typeof module === "object" && module !== null ? Reflect.get(module, "default") : undefined
      const resources: unknown = typeof config === "object" && config !== null ? Reflect.get(config, "resources") : undefined
      expect(Array.isArray(resources), doc.name).toBe(true)
      for (const [i, summary] of generated.resources.entries()) {
        const entry: unknown = Array.isArray(resources) ? resources[i] : undefined
        const schema: unknown = typeof entry === "object" && entry !== null ? Reflect.get(entry, "schema") : undefined
        if (!isDecodable(schema)) throw new Error(`${doc.name}.${summary.plan.name}: no schema`)
        for (const example of summary.plan.operation.response?.examples ?? []) {
          const records = summary.plan.dataSelector === undefined
            ? example
            : DataSelector.readPath(DataSelector.unsafeParse(summary.plan.dataSelector), example)
          if (!Array.isArray(records)) continue
          const result = Schema.decodeUnknownEither(Schema.Array(schema))(records)
          expect(result._tag, `${doc.name}.${summary.plan.name}: ${result._tag === "Left" ? result.left.message.slice(0, 800) : ""}`).toBe("Right")
          decoded += records.length
        }
      }
    }
    expect(decoded).toBeGreaterThan(20)
  }, 60_000)

  describe("the CLI, end to end", () => {
    let dataDir: string
    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "rc-openapi-"))
    })
    afterAll(async () => {
      await rm(dataDir, { recursive: true, force: true })
    })

    for (const name of ["train_travel", "github"]) {
      it(`init writes a connector for ${name} that runs against a loopback server of its examples`, async () => {
        const doc = publicDocuments.find((d) => d.name === name)
        if (doc === undefined) throw new Error(name)
        const out = path.join(dataDir, name)
        const init = await runCli(["init", "--openapi", doc.file, "--out", out, "--name", name, ...(doc.include.length > 0 ? ["--include", doc.include.join(",")] : [])])
        expect(init.code, init.stderr).toBe(0)
        expect(init.stdout.trim().split("\n")).toEqual([path.join(out, `${name}.ts`), path.join(out, "README.md")])
        const model = await Effect.runPromise(Document.load(doc.file))
        const server = await serveExamples(model)
        try {
          const generated = loaded.find((l) => l.doc.name === name)?.generated
          const env = Object.fromEntries((generated?.secrets ?? []).map((s) => [s, "test-secret-value"]))
          const dataset = `openapi_${name}_${Date.now().toString(36)}`
          const run = await runCli(["run", path.join(out, `${name}.ts`), "--base-url", server.url, "--dataset", dataset, "--json", ...storageFlags(dataDir)], { env })
          expect(run.code, run.stderr).toBe(0)
          const report: unknown = JSON.parse(run.stdout)
          const resources: unknown = typeof report === "object" && report !== null ? Reflect.get(report, "resources") : undefined
          const rows = Array.isArray(resources) ? resources.map((r: unknown) => [Reflect.get(Object(r), "resource"), Reflect.get(Object(r), "rows")]) : []
          expect(rows.length).toBeGreaterThan(0)
          for (const [resource, n] of rows) expect(n, String(resource)).toBeGreaterThan(0)
        } finally {
          await server.close()
        }
      }, 120_000)
    }
  })
})
