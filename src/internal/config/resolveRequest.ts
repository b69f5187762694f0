/**
 * What a request is made of: query params and headers (plain, secret or with placeholders),
 * JSON and form bodies, parsed into templates that are rendered per request.
 */
import { Config, Either, Redacted, Schema } from "effect"
import * as Template from "../syntax/template.js"
import { type ConfigIssue, issue, joinPath } from "./configError.js"
import { isPlainObject, orIssue, secret } from "./resolveSupport.js"
import type { SecretString } from "./schema.js"
import type { FormTemplate, SecretInput, Value } from "./spec.js"

export const resolveValues = (
  values: Readonly<Record<string, unknown>> | undefined,
  path: string,
  issues: Array<ConfigIssue>
): Record<string, Value<SecretInput>> => {
  const out: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(values ?? {})) {
    const at = joinPath(path, key)
    if (value === null || value === undefined) continue // dropped, as requests drops None params
    if (typeof value === "string") {
      out[key] = { _tag: "Plain", value }
    } else if (typeof value === "number" || typeof value === "boolean") {
      out[key] = { _tag: "Plain", value: String(value) }
    } else if (isSecretLike(value)) {
      out[key] = { _tag: "Secret", secret: secret(at, value) }
    } else {
      issues.push(issue(at, `expected a string, number, boolean, null or { secret: NAME }, found ${JSON.stringify(value)}`))
    }
  }
  return out
}

const isSecretRef = Schema.is(Schema.Struct({ secret: Schema.String }))

export const isSecretLike = (u: unknown): u is SecretString => isSecretRef(u) || Redacted.isRedacted(u) || Config.isConfig(u)

export const formOf = (value: unknown, path: string, issues: Array<ConfigIssue>): FormTemplate | undefined => {
  const field = (v: unknown, at: string): Template.Template | undefined => {
    if (typeof v === "string") return orIssue(Template.parse(v), at, issues)
    if (typeof v === "number" || typeof v === "boolean") return orIssue(Template.parse(String(v)), at, issues)
    issues.push(issue(at, `expected a string, number or boolean form value, found ${JSON.stringify(v) ?? typeof v}`))
    return undefined
  }
  if (typeof value === "string") {
    const template = field(value, path)
    return template === undefined ? undefined : { _tag: "Raw", template }
  }
  const pairs: Array<readonly [string, unknown, string]> = []
  if (Array.isArray(value)) {
    value.forEach((pair: unknown, i) => {
      if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string") pairs.push([pair[0], pair[1], `${path}[${i}]`])
      else issues.push(issue(`${path}[${i}]`, "expected a [name, value] pair"))
    })
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) pairs.push([k, v, joinPath(path, k)])
  } else {
    issues.push(issue(path, "expected form fields (an object or a list of [name, value] pairs) or a string"))
    return undefined
  }
  const fields: Array<readonly [string, Template.Template]> = []
  for (const [k, v, at] of pairs) {
    const template = field(v, at)
    if (template !== undefined) fields.push([k, template])
  }
  return { _tag: "Fields", fields }
}

/** The templates of a form body. */

export const parseTemplate = (source: string, path: string, issues: Array<ConfigIssue>): Template.Template | undefined =>
  orIssue(Template.parse(source), path, issues)

/** Plain strings with placeholders become templates; other values stay as they are. */
export const templated = (
  values: Record<string, Value<SecretInput>>,
  path: string,
  issues: Array<ConfigIssue>
): Record<string, Value<SecretInput>> => {
  const out: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(values)) {
    if (value._tag !== "Plain" || !/[{}]/.test(value.value)) {
      out[key] = value
      continue
    }
    const template = parseTemplate(value.value, joinPath(path, key), issues)
    if (template === undefined) continue
    out[key] = template.parts.every((p) => p._tag === "Text")
      ? { _tag: "Plain", value: template.parts.map((p) => (p._tag === "Text" ? p.text : "")).join("") }
      : { _tag: "Template", template }
  }
  return out
}

export const placeholdersOf = (values: Readonly<Record<string, Value<SecretInput>>>): ReadonlyArray<Template.Placeholder> =>
  Object.values(values).flatMap((v) => (v._tag === "Template" ? Template.placeholders(v.template) : []))

export const templateValue = (source: string): Value<SecretInput> => ({
  _tag: "Template",
  template: Either.getOrThrow(Template.parse(source))
})
