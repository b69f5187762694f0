/**
 * The CLI's telemetry, as an operator turns it on: `run --otel URL` (OTLP/HTTP, protobuf by
 * default) or OpenTelemetry's environment variables (JSON, headers, service name); the trace
 * and the metrics reach a loopback OTLP receiver before the process exits. An unsupported
 * protocol is a usage error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { uniqueDatasetName } from "../support/database.js"
import { serveJson } from "../support/loopback.js"
import { otlpReceiver, pointsOf, treeOf } from "../support/otlpReceiver.js"

const root = path.resolve(import.meta.dirname, "../..")
const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const runCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.promise(() =>
    new Promise<CliResult>((resolve) => {
      execFile(
        process.execPath,
        [path.join(root, "bin/rest-connector.mjs"), ...args],
        { cwd: root, env: { ...process.env, DATABASE_URL: "", ...env }, timeout: 120_000 },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
      )
    })
  )

/** A config file for a two-page `items` resource on `baseUrl`, in a temp folder (also the data directory). */
const workspace = (baseUrl: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "rc-otel-"))
      const file = path.join(dir, "otel_items.json")
      await writeFile(file, JSON.stringify({
        client: { base_url: baseUrl },
        resources: [{ name: "items", primary_key: "id", endpoint: { path: "items", data_selector: "items", paginator: { type: "json_link", next_url_path: "next" } } }]
      }))
      return { dir, file }
    }),
    ({ dir }) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

const itemsApi = serveJson((url) =>
  url.searchParams.get("page") === "2"
    ? { body: { items: [{ id: 3 }], next: null } }
    : { body: { items: [{ id: 1 }, { id: 2 }], next: "/items?page=2" } }
)

describe("rest-connector run with telemetry", () => {
  it.scoped("--otel sends the run's trace and metrics as protobuf before the process exits", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const api = yield* itemsApi
      const { dir, file } = yield* workspace(api.url)
      const storage = serverUrl === undefined ? ["--data-dir", dir] : ["--database-url", serverUrl]
      const result = yield* runCli(["run", file, "--dataset", uniqueDatasetName("otel_cli"), "--otel", receiver.url, ...storage])
      expect(result.code, result.stderr).toBe(0)

      expect(receiver.requests().map((r) => `${r.path} ${r.contentType}`)).toEqual(
        expect.arrayContaining(["/v1/traces application/x-protobuf", "/v1/metrics application/x-protobuf"])
      )
      const spans = receiver.spans()
      const run = spans.find((s) => s.name === "Pipeline.run")
      expect(run).toBeDefined()
      const ours = new Set(["Pipeline.run", "Pipeline.resource", "ApiClient.page", "GET", "Destination.commit"])
      const page = { name: "ApiClient.page", children: [{ name: "GET", children: [] }] }
      expect(treeOf(spans, run!, (s) => ours.has(s.name))).toEqual({
        name: "Pipeline.run",
        children: [{ name: "Pipeline.resource", children: [{ name: "ApiClient.page", children: [{ name: "GET", children: [] }] }, page, { name: "Destination.commit", children: [] }].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) }]
      })
      const points = receiver.points()
      expect(pointsOf(points, "rest_connector.records", { resource: "items" }).map((p) => p.value)).toEqual([3])
      expect(pointsOf(points, "rest_connector.http.requests", { resource: "items", status: "200" }).map((p) => p.value)).toEqual([2])
    }), 120_000)

  it.scoped("OTEL_* variables choose the endpoint, JSON, headers and the service name", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const api = yield* itemsApi
      const { dir, file } = yield* workspace(api.url)
      const storage = serverUrl === undefined ? ["--data-dir", dir] : ["--database-url", serverUrl]
      const result = yield* runCli(["run", file, "--dataset", uniqueDatasetName("otel_env"), ...storage], {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_HEADERS: "x-team=data%20platform,authorization=Bearer abc",
        OTEL_SERVICE_NAME: "nightly-sync",
        OTEL_METRICS_EXPORTER: "none"
      })
      expect(result.code, result.stderr).toBe(0)
      const traces = receiver.requests().filter((r) => r.path === "/v1/traces")
      expect(traces.length).toBeGreaterThan(0)
      expect(traces[0]).toMatchObject({
        contentType: "application/json",
        headers: { "x-team": "data platform", authorization: "Bearer abc" }
      })
      expect(receiver.requests().some((r) => r.path === "/v1/metrics")).toBe(false)
      expect(receiver.resources()).toContainEqual(expect.objectContaining({ "service.name": "nightly-sync" }))
      expect(receiver.spans().filter((s) => s.name === "ApiClient.page")).toHaveLength(2)
    }), 120_000)

  it.scoped("an OTLP protocol other than http/protobuf or http/json is a usage error (exit 2)", () =>
    Effect.gen(function*() {
      const api = yield* itemsApi
      const { dir, file } = yield* workspace(api.url)
      const result = yield* runCli(["run", file, "--data-dir", dir, "--otel", "http://127.0.0.1:9"], { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("OTEL_EXPORTER_OTLP_PROTOCOL")
    }), 120_000)
})
