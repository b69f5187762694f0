/**
 * Secrets: `{ secret: "NAME" }` is read with `Config.redacted(NAME)` from the active
 * ConfigProvider (environment variables by default). Every missing secret is reported at
 * once, naming the config key, before any request is sent. Values stay `Redacted`.
 */
import { Config, ConfigError as EffectConfigError, Effect, Redacted } from "effect"
import * as Auth from "./authSpec.js"
import { ConfigError, type ConfigIssue, issue } from "./configError.js"
import { lookedIn } from "./dltCredentials.js"
import type { ClientSpec, ResourceSpec, SourceSpec, SecretInput, Value } from "./spec.js"

export type Secret = Redacted.Redacted<string>

const readSecret = (secret: SecretInput): Effect.Effect<Secret, ConfigIssue> => {
  const input = secret.input
  if (typeof input === "string") return Effect.succeed(Redacted.make(input))
  if (Redacted.isRedacted(input)) return Effect.succeed(Redacted.make(String(Redacted.value(input))))
  const config: Config.Config<Secret | string> = Config.isConfig(input) ? input : Config.redacted(input.secret)
  return config.pipe(
    Effect.map((value) => (typeof value === "string" ? Redacted.make(value) : value)),
    Effect.mapError((e) =>
      issue(
        secret.path,
        EffectConfigError.isMissingData(e) || isMissing(e)
          ? notSet(input)
          : `secret ${describe(input)} could not be read: ${e.message}`
      )
    )
  )
}

const isMissing = (e: EffectConfigError.ConfigError): boolean =>
  EffectConfigError.reduceWithContext(e, undefined, {
    andCase: (_, l, r) => l && r,
    orCase: (_, l, r) => l && r,
    invalidDataCase: () => false,
    missingDataCase: () => true,
    sourceUnavailableCase: () => false,
    unsupportedCase: () => false
  })

const notSet = (input: SecretString): string => {
  const places = lookedIn(input)
  return places === undefined
    ? `secret ${describe(input)} is not set`
    : `not in the config and not found where dlt looks for it: ${places}`
}

const describe = (input: SecretString): string => {
  if (typeof input === "object" && input !== null && "secret" in input && typeof input.secret === "string") {
    return `'${input.secret}' (environment variable ${input.secret})`
  }
  return "(a Config value)"
}

type SecretString = SecretInput["input"]

/** Resolves every secret of a source; all missing ones are reported together. */
export const resolveSecrets = (
  source: SourceSpec<SecretInput>,
  file?: string
): Effect.Effect<SourceSpec<Secret>, ConfigError> =>
  Effect.gen(function*() {
    const issues: Array<ConfigIssue> = []
    const take = (secret: SecretInput): Effect.Effect<Secret> =>
      readSecret(secret).pipe(
        Effect.catchAll((problem) => {
          issues.push(problem)
          return Effect.succeed(Redacted.make(""))
        })
      )
    const values = (
      record: Readonly<Record<string, Value<SecretInput>>>
    ): Effect.Effect<Record<string, Value<Secret>>> =>
      Effect.gen(function*() {
        const out: Record<string, Value<Secret>> = {}
        for (const [key, value] of Object.entries(record)) {
          out[key] = value._tag === "Secret" ? { _tag: "Secret", secret: yield* take(value.secret) } : value
        }
        return out
      })

    const auth = source.client.auth
    const client: ClientSpec<Secret> = {
      ...source.client,
      headers: yield* values(source.client.headers),
      auth: auth === undefined ? undefined : yield* resolveAuth(auth, take)
    }
    const resources: Array<ResourceSpec<Secret>> = []
    for (const resource of source.resources) {
      const auth = resource.auth === undefined || resource.auth === null ? resource.auth : yield* resolveAuth(resource.auth, take)
      resources.push({ ...resource, headers: yield* values(resource.headers), params: yield* values(resource.params), auth })
    }
    if (issues.length > 0) return yield* Effect.fail(new ConfigError({ file, issues }))
    return { client, resources }
  })

const resolveAuth = (
  auth: Auth.Auth<SecretInput>,
  take: (secret: SecretInput) => Effect.Effect<Secret>
): Effect.Effect<Auth.Auth<Secret>> =>
  Effect.gen(function*() {
    const resolved = new Map<string, Secret>()
    for (const [key, secret] of secretsOf(auth)) resolved.set(key, yield* take(secret))
    return Auth.mapSecrets(auth, (_, key) => resolved.get(key) ?? Redacted.make(""))
  })

const secretsOf = (auth: Auth.Auth<SecretInput>): ReadonlyArray<readonly [string, SecretInput]> => {
  const out: Array<readonly [string, SecretInput]> = []
  Auth.mapSecrets(auth, (secret, key) => out.push([key, secret]))
  return out
}

/** Every secret value of a resolved source, to scrub from anything we print. */
export const secretValues = (source: SourceSpec<Secret>): ReadonlyArray<string> => {
  const out: Array<string> = []
  const collect = (record: Readonly<Record<string, Value<Secret>>>) => {
    for (const value of Object.values(record)) if (value._tag === "Secret") out.push(Redacted.value(value.secret))
  }
  collect(source.client.headers)
  if (source.client.auth !== undefined) Auth.mapSecrets(source.client.auth, (s) => out.push(Redacted.value(s)))
  for (const r of source.resources) {
    collect(r.headers)
    collect(r.params)
    if (r.auth !== undefined && r.auth !== null) Auth.mapSecrets(r.auth, (s) => out.push(Redacted.value(s)))
  }
  return out.filter((s) => s.length > 0)
}

