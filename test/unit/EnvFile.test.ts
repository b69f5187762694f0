/**
 * Settings from a `.env` file, read through Effect's ConfigProvider: the environment wins over
 * the file, secrets and dlt's plain credential fields alike, and process.env is not touched.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Option, Redacted } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { envFileFor, parseEnvFile, providerWith, withEnvFile } from "../../src/cli/envFile.js"
import type { Auth } from "../../src/internal/config/authSpec.js"
import * as ConnectorConfig from "../../src/internal/config/connectorConfig.js"

const inTempDir = <A, E>(f: (dir: string) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-env-"))),
    f,
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

const unique = `RC_ENV_TEST_${process.pid}`

describe(".env files", () => {
  it.effect("dotenv syntax: comments, quotes, export, multi-line values", () =>
    inTempDir((dir) =>
      Effect.gen(function*() {
        const file = path.join(dir, ".env")
        yield* Effect.promise(() =>
          writeFile(file, `# a comment\nA=1\nB="x y"\nexport C=3\nD='q' # trailing\nE="multi\nline"\nEMPTY=\n`)
        )
        const values = yield* parseEnvFile(file)
        expect(Object.fromEntries(values)).toEqual({ A: "1", B: "x y", C: "3", D: "q", E: "multi\nline", EMPTY: "" })
      })
    ))

  it.effect("a variable set in the environment wins over the file; the file fills in the rest", () =>
    Effect.gen(function*() {
      process.env[`${unique}_SET`] = "from-env"
      try {
        const provider = providerWith(new Map([[`${unique}_SET`, "from-file"], [`${unique}_FILE`, "only-in-file"]]))
        const read = (name: string) => Config.option(Config.string(name)).pipe(Effect.withConfigProvider(provider))
        expect(yield* read(`${unique}_SET`)).toEqual(Option.some("from-env"))
        expect(yield* read(`${unique}_FILE`)).toEqual(Option.some("only-in-file"))
        expect(yield* read(`${unique}_NOWHERE`)).toEqual(Option.none())
        expect(process.env[`${unique}_FILE`]).toBeUndefined()
      } finally {
        delete process.env[`${unique}_SET`]
      }
    }))

  it.effect("without --env-file, .env in the working directory is read when there is one", () =>
    inTempDir((dir) =>
      Effect.gen(function*() {
        expect(envFileFor(Option.none(), dir)).toBeUndefined()
        yield* Effect.promise(() => writeFile(path.join(dir, ".env"), "X=1\n"))
        expect(envFileFor(Option.none(), dir)).toBe(path.join(dir, ".env"))
        expect(envFileFor(Option.some("/elsewhere/prod.env"), dir)).toBe("/elsewhere/prod.env")
      })
    ))

  it.effect("a config's secrets and dlt's access_token_url come from the file", () =>
    inTempDir((dir) =>
      Effect.gen(function*() {
        const file = path.join(dir, "prod.env")
        yield* Effect.promise(() =>
          writeFile(
            file,
            `${unique}_TOKEN=tok-from-file\nSOURCES__REST_API__CREDENTIALS__CLIENT_ID=id-1\n` +
              `SOURCES__REST_API__CREDENTIALS__CLIENT_SECRET=s-1\n` +
              `SOURCES__REST_API__CREDENTIALS__ACCESS_TOKEN_URL=https://auth.example.com/token\n`
          )
        )
        const config = {
          client: { base_url: "https://api.example.com/", auth: "oauth2_client_credentials" },
          resources: [{ name: "posts", endpoint: { path: "posts", headers: { "X-Token": { secret: `${unique}_TOKEN` } } } }]
        }
        const spec = yield* withEnvFile(ConnectorConfig.resolve(config), { envFile: Option.some(file) })
        const auth: Auth<Redacted.Redacted<string>> | null | undefined = spec.client.auth
        expect(auth?._tag).toBe("OAuth2ClientCredentials")
        if (auth?._tag === "OAuth2ClientCredentials") {
          expect(auth.accessTokenUrl).toBe("https://auth.example.com/token")
          expect(Redacted.value(auth.clientSecret)).toBe("s-1")
        }
        expect(process.env["SOURCES__REST_API__CREDENTIALS__ACCESS_TOKEN_URL"]).toBeUndefined()
      }).pipe(Effect.withConfigProvider(ConfigProvider.fromEnv()))
    ))
})
