/**
 * From the decoded dlt dictionary to specs: plain data that the runtime builds from.
 * resource_defaults are merged the way dlt merges them, paths, templates and expressions are
 * parsed, and every key whose behaviour is not built yet is refused with a clear error.
 * Pure: all problems are collected and reported together, before any request is sent.
 * Each concern has a module of its own (defaults, client, auth, request, paginator,
 * incremental, disposition, columns, actions, resource); this one puts them together.
 */
import { Either, Schema } from "effect"
import { tooDeep, MaxConfigDepth } from "./configDepth.js"
import { normalizeIdentifier } from "../normalize/naming.js"
import { ConfigError, type ConfigIssue, fromParseError, issue } from "./configError.js"
import { secretsTomlFiles, withDltCredentials } from "./dltCredentials.js"
import { datasetFromFile } from "./loadConfig.js"
import { mergeDefaults, type ResourceObject } from "./defaults.js"
import { resolveClient } from "./resolveClient.js"
import { resolveResource } from "./resolveResource.js"
import { RestApiConfig } from "./schema.js"
import type { ResourceSpec, SecretInput, SourceSpec } from "./spec.js"

/** dlt's source name: the config file's name in snake_case; none for a config object. */
export const dltSourceName = (file: string | undefined): string | undefined =>
  file === undefined ? undefined : normalizeIdentifier(datasetFromFile(file))

/** Decodes a dlt `rest_api` dictionary (JSON, YAML or a TS object) and resolves it. */
export const resolveConfig = (
  input: unknown,
  file?: string,
  env?: (name: string) => string | undefined
): Either.Either<SourceSpec<SecretInput>, ConfigError> => {
  const deep = tooDeep(input)
  if (deep !== undefined) {
    return Either.left(
      new ConfigError({ file, issues: [issue(deep, `nested deeper than ${MaxConfigDepth} levels (objects and lists in objects and lists): a config never needs that`)] })
    )
  }
  // dlt's auth shorthands and auth dicts missing a field are completed from dlt's places.
  const completed = withDltCredentials(input, { sourceName: dltSourceName(file), tomlFiles: secretsTomlFiles(file), env })
  return Schema.decodeUnknownEither(RestApiConfig, { errors: "all", onExcessProperty: "error" })(completed).pipe(
    Either.mapLeft((e) => new ConfigError({ file, issues: fromParseError(e) })),
    Either.flatMap((config) => {
      const issues: Array<ConfigIssue> = []
      const resolved = resolve(config, issues)
      return issues.length === 0 ? Either.right(resolved) : Either.left(new ConfigError({ file, issues }))
    })
  )
}

const resolve = (config: RestApiConfig, issues: Array<ConfigIssue>): SourceSpec<SecretInput> => {
  const client = resolveClient(config.client, issues)
  if (config.resource_defaults !== undefined && "name" in config.resource_defaults) {
    issues.push(issue("resource_defaults.name", "a default cannot set a resource's name"))
  }
  const seen = new Set<string>()
  const resources = config.resources.flatMap((entry, index) => {
    const path = `resources[${index}]`
    const own: ResourceObject = typeof entry === "string" ? { name: entry, endpoint: { path: entry } } : entry
    if (seen.has(own.name)) issues.push(issue(`${path}.name`, `duplicate resource name '${own.name}'`))
    seen.add(own.name)
    const resolved = resolveResource(mergeDefaults(own, config.resource_defaults), path, config, issues)
    return resolved === undefined ? [] : [resolved]
  })
  checkParents(config, resources, issues)
  return { client, resources }
}

/** Every parent must be a resource of the config, and parents must not form a cycle. */
const checkParents = (
  config: RestApiConfig,
  resources: ReadonlyArray<ResourceSpec<SecretInput>>,
  issues: Array<ConfigIssue>
) => {
  const names = new Set(config.resources.map((r) => (typeof r === "string" ? r : r.name)))
  const byName = new Map(resources.map((r) => [r.name, r]))
  for (const resource of resources) {
    const parent = resource.parent
    if (parent === undefined) continue
    if (!names.has(parent)) {
      issues.push(issue(`${resource.configPath}.endpoint`, `{resources.${parent}.…} names no resource of this config (resources: ${[...names].join(", ")})`))
      continue
    }
    const chain = [resource.name]
    for (let p: string | undefined = parent; p !== undefined; p = byName.get(p)?.parent) {
      if (chain.includes(p)) {
        issues.push(issue(`${resource.configPath}.endpoint`, `parent/child cycle: ${[...chain, p].join(" → ")}`))
        break
      }
      chain.push(p)
    }
  }
}
