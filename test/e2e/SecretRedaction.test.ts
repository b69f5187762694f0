/**
 * A secret is scrubbed wherever it could show, not only where the config typed it: a numeric
 * secret in a YAML config error, an OAuth2 access token fetched at run time, the base64 form of
 * HTTP Basic credentials, what a custom auth puts on a request, and a password in a database
 * URL. The loopback API echoes every request header back in its error body, as careless
 * servers do.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { ConfigProvider, Effect, Either, Stream } from "effect"
import { execFile } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as ConnectorConfig from "../../src/internal/config/connectorConfig.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"

const root = path.resolve(import.meta.dirname, "../..")

/** An API that rejects every request, quoting its headers; `/token` issues an OAuth2 token. */
const echoingApi = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly close: () => void }>((resume) => {
    const server = createServer((req, res) => {
      res.setHeader("content-type", "application/json")
      if (req.url === "/token") {
        res.end(JSON.stringify({ access_token: "runtime-token-4f9a2c7e1b", expires_in: 3600 }))
        return
      }
      res.statusCode = 400
      res.end(JSON.stringify({ url: req.url, error: "bad request", you_sent: req.headers }))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}/`, close: () => server.close() }))
    })
  }),
  (server) => Effect.sync(() => server.close())
)

/** The error message of the resource's first page. */
const firstError = (config: Parameters<typeof RestApiSource.make>[0], secrets: Record<string, string>) =>
  Effect.gen(function*() {
    const source = yield* RestApiSource.make(config).pipe(Effect.withConfigProvider(ConfigProvider.fromJson(secrets)))
    const error = yield* source.records("items").pipe(
      Stream.runCollect,
      Effect.flip,
      Effect.provide(ApiClient.layer),
      Effect.provide(NodeHttpClient.layerUndici)
    )
    return error.message
  })

const items = { name: "items", endpoint: { path: "items", paginator: "single_page" } } as const

describe("secrets are scrubbed wherever they show", () => {
  it.scoped("an OAuth2 access token fetched at run time", () =>
    Effect.gen(function*() {
      const api = yield* echoingApi
      const message = yield* firstError({
        client: {
          base_url: api.url,
          retry: { max_retries: 0 },
          auth: {
            type: "oauth2_client_credentials",
            access_token_url: `${api.url}token`,
            client_id: { secret: "ID" },
            client_secret: { secret: "SECRET" }
          }
        },
        resources: [items]
      }, { ID: "client-id-77", SECRET: "client-secret-88" })
      expect(message).toContain("HTTP 400")
      expect(message).not.toContain("runtime-token-4f9a2c7e1b")
    }))

  it.scoped("HTTP Basic credentials in their base64 wire form", () =>
    Effect.gen(function*() {
      const api = yield* echoingApi
      const message = yield* firstError({
        client: { base_url: api.url, auth: { type: "http_basic", username: "alice", password: { secret: "PW" } } },
        resources: [items]
      }, { PW: "wonderland-pw-31" })
      expect(message).toContain("HTTP 400")
      expect(message).not.toContain(Buffer.from("alice:wonderland-pw-31").toString("base64"))
      expect(message).not.toContain("wonderland-pw-31")
    }))

  it.scoped("what a custom auth puts on a request", () =>
    Effect.gen(function*() {
      const api = yield* echoingApi
      const message = yield* firstError({
        client: {
          base_url: api.url,
          auth: { authenticate: (request) => HttpClientRequest.setHeader(request, "X-Signature", "Sig sig-custom-98765zz") }
        },
        resources: [items]
      }, {})
      expect(message).toContain("HTTP 400")
      expect(message).not.toContain("sig-custom-98765zz")
    }))

  it.scoped("test_secret_redaction_in_http_errors (dlt): sensitive params are redacted in the URL and in an echoed body", () =>
    Effect.gen(function*() {
      const api = yield* echoingApi
      const message = yield* firstError({
        client: { base_url: api.url },
        resources: [{
          name: "items",
          endpoint: {
            path: "missing",
            paginator: "single_page",
            params: { api_key: "secret_api_key_xyz", access_token: "secret_token_abc", normal_param: "public_value" }
          }
        }]
      }, {})
      expect(message).toContain("api_key=***")
      expect(message).toContain("access_token=***")
      expect(message).toContain("normal_param=public_value")
      expect(message).toContain("400")
      expect(message).not.toContain("secret_api_key_xyz")
      expect(message).not.toContain("secret_token_abc")
    }))

  it.effect("a numeric secret in a YAML config error is not echoed", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-secret-")))
      const file = path.join(dir, "api.yaml")
      yield* Effect.promise(() =>
        writeFile(file, "client:\n  base_url: https://api.test/\n  auth:\n    type: api_key\n    name: X-Key\n    api_key: 8675309123456\nresources: [a]\n")
      )
      const result = yield* Effect.either(ConnectorConfig.resolveFile(file))
      yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
      if (Either.isRight(result)) return expect.fail("expected a config error")
      expect(result.left.message).toContain("client.auth.api_key: Expected string")
      expect(result.left.message).toContain("the value is not shown")
      expect(result.left.message).not.toContain("8675309123456")
    }))

  it("a password in a database URL never reaches the CLI's output", async () => {
    const result = await new Promise<{ readonly code: number; readonly output: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.join(root, "bin/rest-connector.mjs"), "schema", path.join(root, "examples/analytics/analytics.json"), "--database-url",
          "postgres://postgres:hunter2-db-secret@127.0.0.1:1/nowhere"],
        { cwd: root, env: { ...process.env, DATABASE_URL: "" }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, output: stdout + stderr })
      )
    )
    expect(result.code).not.toBe(0)
    expect(result.output).toContain("127.0.0.1:1")
    expect(result.output).not.toContain("hunter2-db-secret")
  })
})
