/** A resource's first request and headers, its templates rendered for one stream run. */
import { Either, Redacted } from "effect"
import type { Secret } from "../config/secrets.js"
import type { FormTemplate, ResourceSpec, Value } from "../config/spec.js"
import type { FormBody, PageRequest, Paginator } from "../paginate/paginator.js"
import { renderHeaderName } from "../syntax/headerName.js"
import * as Template from "../syntax/template.js"

const renderValues = (
  values: Readonly<Record<string, Value<Secret>>>,
  context: Template.TemplateContext,
  renderName: (name: string) => Either.Either<string, Template.TemplateError> = Either.right
): Either.Either<Record<string, string>, Template.TemplateError> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(values)) {
    const named = renderName(name)
    if (Either.isLeft(named)) return Either.left(named.left)
    const key = named.right
    if (value._tag === "Plain") out[key] = value.value
    else if (value._tag === "Secret") out[key] = Redacted.value(value.secret)
    else {
      const rendered = Template.renderValue(value.template, context)
      if (Either.isLeft(rendered)) return Either.left(rendered.left)
      // A lone placeholder with no value (`{incremental.end_value}` without an end_value) leaves
      // the param out, as `requests` drops a None param in dlt.
      if (rendered.right === undefined || rendered.right === null) continue
      out[key] = typeof rendered.right === "string" ? rendered.right : Template.asText(rendered.right)
    }
  }
  return Either.right(out)
}

const renderForm = (form: FormTemplate, context: Template.TemplateContext): Either.Either<FormBody, Template.TemplateError> =>
  form._tag === "Raw"
    ? Either.map(Template.render(form.template, context), (text): FormBody => ({ _tag: "Raw", text }))
    : Either.map(
      Either.all(form.fields.map(([name, t]) => Either.map(Template.render(t, context), (v) => [name, v] as const))),
      (fields): FormBody => ({ _tag: "Fields", fields })
    )

/** The first request and the endpoint headers, rendered for this run. */
export const firstRequest = (resource: ResourceSpec<Secret>, paginator: Paginator, context: Template.TemplateContext) =>
  Either.gen(function*() {
    const url = yield* Template.renderPath(resource.path, context)
    const params = yield* renderValues(resource.params, context)
    const headers = yield* renderValues(resource.headers, context, (name) => renderHeaderName(name, context))
    const json = resource.json === undefined ? undefined : yield* Template.renderJson(resource.json, context)
    const form = resource.form === undefined ? undefined : yield* renderForm(resource.form, context)
    const request: PageRequest = {
      method: resource.method,
      url,
      params,
      ...(json === undefined ? {} : { json }),
      ...(form === undefined ? {} : { form })
    }
    return { request: paginator.first(request), headers }
  })
