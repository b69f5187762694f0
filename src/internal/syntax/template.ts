/**
 * Request templates, as dlt formats them (Python `str.format`): `{resources.<parent>.<field>}`
 * and `{incremental.start_value}` (also `initial_value`, `last_value`, `end_value`) in path,
 * params, json and headers; `{{` and `}}` are literal braces. Parsed once at config time;
 * rendered per request. A `json` string that is one lone placeholder keeps the value's type;
 * values in a path are URL-encoded (`renderPath`), which dlt does not do.
 */
import { Data, Either } from "effect"
import * as DataSelector from "./dataSelector.js"

export type Placeholder =
  | { readonly _tag: "Parent"; readonly resource: string; readonly field: DataSelector.DataSelector }
  | { readonly _tag: "Incremental"; readonly name: IncrementalName }

/**
 * The run's values (the first four) and the incremental's own settings, as dlt formats them
 * from its `Incremental` object (`{incremental.lag}` in dlt's own tests).
 */
export const IncrementalNames = [
  "start_value",
  "initial_value",
  "last_value",
  "end_value",
  "lag",
  "cursor_path",
  "row_order",
  "range_start",
  "range_end",
  "on_cursor_value_missing",
  "last_value_func"
] as const
export type IncrementalName = (typeof IncrementalNames)[number]

export type Part = { readonly _tag: "Text"; readonly text: string } | Placeholder

/** A parsed template string. */
export interface Template {
  readonly source: string
  readonly parts: ReadonlyArray<Part>
}

export class TemplateSyntaxError extends Data.TaggedError("TemplateSyntaxError")<{ readonly message: string }> {}

/** What a request is rendered with. */
export interface TemplateContext {
  /** The parent record of a child resource. */
  readonly parent?: { readonly name: string; readonly record: unknown } | undefined
  readonly incremental?: Readonly<Partial<Record<IncrementalName, unknown>>> | undefined
}

export class TemplateError extends Data.TaggedError("TemplateError")<{ readonly message: string }> {}

export const parse = (source: string): Either.Either<Template, TemplateSyntaxError> => {
  const parts: Array<Part> = []
  let text = ""
  let i = 0
  while (i < source.length) {
    const c = source[i]
    if (c === "{" && source[i + 1] === "{") {
      text += "{"
      i += 2
    } else if (c === "}" && source[i + 1] === "}") {
      text += "}"
      i += 2
    } else if (c === "{") {
      const end = source.indexOf("}", i)
      if (end < 0) return Either.left(new TemplateSyntaxError({ message: `unclosed '{' at ${i} in ${JSON.stringify(source)} (write '{{' for a literal brace)` }))
      const placeholder = parsePlaceholder(source.slice(i + 1, end).trim(), source)
      if (Either.isLeft(placeholder)) return Either.left(placeholder.left)
      if (text !== "") parts.push({ _tag: "Text", text })
      text = ""
      parts.push(placeholder.right)
      i = end + 1
    } else if (c === "}") {
      return Either.left(new TemplateSyntaxError({ message: `single '}' at ${i} in ${JSON.stringify(source)} (write '}}' for a literal brace)` }))
    } else {
      text += c
      i++
    }
  }
  if (text !== "") parts.push({ _tag: "Text", text })
  return Either.right({ source, parts })
}

const parsePlaceholder = (inner: string, source: string): Either.Either<Placeholder, TemplateSyntaxError> => {
  if (inner.startsWith("resources.")) {
    const rest = inner.slice("resources.".length)
    const dot = rest.indexOf(".")
    if (dot <= 0 || dot === rest.length - 1) {
      return Either.left(new TemplateSyntaxError({ message: `'{${inner}}' in ${JSON.stringify(source)}: expected {resources.<parent>.<field>}` }))
    }
    const field = DataSelector.parse(rest.slice(dot + 1))
    if (Either.isLeft(field)) return Either.left(new TemplateSyntaxError({ message: field.left.message }))
    return Either.right({ _tag: "Parent", resource: rest.slice(0, dot), field: field.right })
  }
  if (inner.startsWith("incremental.")) {
    const name = inner.slice("incremental.".length)
    const known = IncrementalNames.find((n) => n === name)
    if (known === undefined) {
      return Either.left(new TemplateSyntaxError({ message: `'{${inner}}': expected one of ${IncrementalNames.map((n) => `{incremental.${n}}`).join(", ")}` }))
    }
    return Either.right({ _tag: "Incremental", name: known })
  }
  return Either.left(
    new TemplateSyntaxError({
      message: `unknown placeholder '{${inner}}' in ${JSON.stringify(source)}: expected {resources.<parent>.<field>} or {incremental.<name>} (write '{{' and '}}' for literal braces)`
    })
  )
}

export const placeholders = (template: Template): ReadonlyArray<Placeholder> =>
  template.parts.filter((p): p is Placeholder => p._tag !== "Text")

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null && !Array.isArray(u)

const valueOf = (placeholder: Placeholder, context: TemplateContext): Either.Either<unknown, TemplateError> => {
  if (placeholder._tag === "Incremental") {
    if (context.incremental === undefined) {
      return Either.left(new TemplateError({ message: `{incremental.${placeholder.name}} is used but the endpoint has no 'incremental'` }))
    }
    return Either.right(context.incremental[placeholder.name])
  }
  const parent = context.parent
  if (parent === undefined || parent.name !== placeholder.resource) {
    return Either.left(new TemplateError({ message: `{resources.${placeholder.resource}.${placeholder.field.source}} has no parent record here` }))
  }
  const value = DataSelector.readPath(placeholder.field, parent.record)
  if (value === undefined) {
    const keys = isRecord(parent.record) ? Object.keys(parent.record).join(", ") : "(not an object)"
    return Either.left(
      new TemplateError({
        message: `the parent '${parent.name}' record has no field '${placeholder.field.source}' (available: ${keys})`
      })
    )
  }
  return Either.right(value)
}

export const asText = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "string" ? value : value instanceof Date ? value.toISOString() : typeof value === "object" ? JSON.stringify(value) : String(value)

const asIs = (text: string): Either.Either<string, TemplateError> => Either.right(text)

const renderWith = (
  template: Template,
  context: TemplateContext,
  encode: (text: string, placeholder: Placeholder) => Either.Either<string, TemplateError>
): Either.Either<string, TemplateError> => {
  let out = ""
  for (const part of template.parts) {
    if (part._tag === "Text") {
      out += part.text
      continue
    }
    const value = valueOf(part, context)
    if (Either.isLeft(value)) return Either.left(value.left)
    const text = encode(asText(value.right), part)
    if (Either.isLeft(text)) return text
    out += text.right
  }
  return Either.right(out)
}

/** Renders a template to a string. */
export const render = (template: Template, context: TemplateContext): Either.Either<string, TemplateError> =>
  renderWith(template, context, asIs)

const placeholderSource = (p: Placeholder): string =>
  p._tag === "Parent" ? `{resources.${p.resource}.${p.field.source}}` : `{incremental.${p.name}}`

/** A value is one piece of a segment: its `/`, `?`, `#`, `%` and `:` are escaped; a lone `.` or `..` cannot be. */
const pathPiece = (text: string, placeholder: Placeholder): Either.Either<string, TemplateError> =>
  text === "." || text === ".."
    ? Either.left(new TemplateError({ message: `${placeholderSource(placeholder)} is '${text}', which would move the request up the URL path` }))
    : Either.right(encodeURIComponent(text))

/**
 * Renders `endpoint.path`: each value URL-encoded (encodeURIComponent), so a value such as
 * `../admin` or `https://other.example/x` stays one piece of the path, under `base_url`.
 */
export const renderPath = (template: Template, context: TemplateContext): Either.Either<string, TemplateError> =>
  renderWith(template, context, pathPiece)

/** Renders a template, keeping the value's own type when the template is one lone placeholder (dlt's json rule). */
export const renderValue = (template: Template, context: TemplateContext): Either.Either<unknown, TemplateError> =>
  template.parts.length === 1 && template.parts[0]._tag !== "Text"
    ? valueOf(template.parts[0], context)
    : render(template, context)

// ---------------------------------------------------------------- JSON bodies

/** A JSON body with its strings parsed as templates. */
export type JsonTemplate =
  | { readonly _tag: "Value"; readonly value: unknown }
  | { readonly _tag: "String"; readonly template: Template }
  | { readonly _tag: "Array"; readonly items: ReadonlyArray<JsonTemplate> }
  | { readonly _tag: "Object"; readonly entries: ReadonlyArray<readonly [string, JsonTemplate]> }

export const parseJson = (value: unknown): Either.Either<JsonTemplate, TemplateSyntaxError> => {
  if (typeof value === "string") {
    return Either.map(parse(value), (template): JsonTemplate =>
      template.parts.every((p) => p._tag === "Text")
        ? { _tag: "Value", value: template.parts.map((p) => (p._tag === "Text" ? p.text : "")).join("") }
        : { _tag: "String", template })
  }
  if (Array.isArray(value)) {
    const items: Array<JsonTemplate> = []
    for (const item of value) {
      const parsed = parseJson(item)
      if (Either.isLeft(parsed)) return parsed
      items.push(parsed.right)
    }
    return Either.right({ _tag: "Array", items })
  }
  if (isRecord(value)) {
    const entries: Array<readonly [string, JsonTemplate]> = []
    for (const [k, v] of Object.entries(value)) {
      const parsed = parseJson(v)
      if (Either.isLeft(parsed)) return parsed
      entries.push([k, parsed.right])
    }
    return Either.right({ _tag: "Object", entries })
  }
  return Either.right({ _tag: "Value", value })
}

export const renderJson = (json: JsonTemplate, context: TemplateContext): Either.Either<unknown, TemplateError> => {
  switch (json._tag) {
    case "Value":
      return Either.right(json.value)
    case "String":
      return renderValue(json.template, context)
    case "Array":
      return Either.all(json.items.map((item) => renderJson(item, context)))
    case "Object":
      return Either.map(
        Either.all(json.entries.map(([k, v]) => Either.map(renderJson(v, context), (r) => [k, r] as const))),
        (entries) => Object.fromEntries(entries)
      )
  }
}

export const jsonPlaceholders = (json: JsonTemplate): ReadonlyArray<Placeholder> => {
  switch (json._tag) {
    case "Value":
      return []
    case "String":
      return placeholders(json.template)
    case "Array":
      return json.items.flatMap(jsonPlaceholders)
    case "Object":
      return json.entries.flatMap(([, v]) => jsonPlaceholders(v))
  }
}
