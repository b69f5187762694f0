/**
 * One resource, defaults already merged: its request (path, params, headers, body), data
 * selector, paginator, parent, incremental cursor, write disposition, columns and actions.
 */
import { Either } from "effect"
import { isReservedTableName, ReservedPrefix } from "../normalize/naming.js"
import * as DataSelector from "../syntax/dataSelector.js"
import * as Template from "../syntax/template.js"
import { type ConfigIssue, issue, joinPath } from "./configError.js"
import { asEndpoint, type EndpointObject, type ResourceObject } from "./defaults.js"
import { resolveProcessingSteps, resolveResponseActions } from "./resolveActions.js"
import { resolveAuth } from "./resolveAuth.js"
import { contractOf, resolveColumns } from "./resolveColumns.js"
import { dispositionOf } from "./resolveDisposition.js"
import { type ResourceIncremental, resolveIncremental } from "./resolveIncremental.js"
import { checkHeaderName } from "../syntax/headerName.js"
import { resolvePaginator } from "./resolvePaginator.js"
import { formOf, parseTemplate, placeholdersOf, resolveValues, templated, templateValue } from "./resolveRequest.js"
import { call1, isFunction, isPlainObject, keyList, notSupported, orIssue, secret } from "./resolveSupport.js"
import type { RestApiConfig } from "./schema.js"
import { formTemplates, type ResourceSpec, type SecretInput, type Value } from "./spec.js"

/** Keys recognised by the config contract whose behaviour comes in a later version. */
const laterResourceKeys = [
  "file_format",
  "references",
  "nested_hints"
] as const

export const resolveResource = (
  resource: ResourceObject,
  path: string,
  config: RestApiConfig,
  issues: Array<ConfigIssue>
): ResourceSpec<SecretInput> | undefined => {
  const before = issues.length
  for (const key of laterResourceKeys) {
    if (resource[key] !== undefined) notSupported(issues, `${path}.${key}`, `'${key}'`)
  }

  // Postgres tables are Postgres's own format: dlt's "native"; the open table formats need a
  // filesystem or lakehouse destination.
  if (resource.table_format !== undefined && resource.table_format !== "native") {
    issues.push(issue(`${path}.table_format`, `${JSON.stringify(resource.table_format)} cannot apply to Postgres: tables here are Postgres tables (dlt's "native"); iceberg, delta and hive are formats of files in a filesystem or lakehouse destination`))
  }

  // `_rc_*` is our system tables' namespace: a data table there would alter them.
  const tableKey = typeof resource.table_name === "string" ? "table_name" : "name"
  const tableName = typeof resource.table_name === "string" ? resource.table_name : resource.name
  if (isReservedTableName(tableName)) {
    issues.push(issue(`${path}.${tableKey}`, `table name '${tableName}' is reserved: names starting with '${ReservedPrefix}' belong to the tables effect-rest-connector keeps in each dataset`))
  }

  const endpoint: EndpointObject = asEndpoint(resource.endpoint) ?? { path: resource.name }
  const ep = `${path}.endpoint`
  const method = endpoint.method === undefined ? "GET" : endpoint.method.toUpperCase() === "POST" ? "POST" : "GET"

  // Parameters given in the legacy dlt forms become placeholders:
  // { type: "resolve", resource, field } binds `{name}` in the path; { type: "incremental", ... } is the old incremental.
  let rawPath = endpoint.path ?? resource.name
  const rawParams: Record<string, unknown> = { ...endpoint.params }
  let legacyIncremental: ResourceIncremental | undefined
  for (const [key, value] of Object.entries(rawParams)) {
    const slot = `{${key}}`
    if (!isPlainObject(value)) {
      // dlt binds a plain param named in the path (`{org}/{repo}/issues`) into it, as written.
      if (rawPath.includes(slot) && value !== null && value !== undefined && typeof value !== "object") {
        rawPath = rawPath.split(slot).join(String(value).replace(/\{/g, "{{").replace(/\}/g, "}}"))
        delete rawParams[key]
      }
      continue
    }
    if (value.type === "resolve" && typeof value.resource === "string" && typeof value.field === "string") {
      const placeholder = `{resources.${value.resource}.${value.field}}`
      if (rawPath.includes(slot)) {
        rawPath = rawPath.split(slot).join(placeholder)
        delete rawParams[key]
      } else {
        // dlt raises too: a parent's field in the query is written `{resources.<parent>.<field>}`.
        issues.push(issue(joinPath(`${ep}.params`, key), `a 'resolve' param must be bound in the path ('${slot}' is not in '${rawPath}'); to send a parent's field as a query param write "{resources.${value.resource}.${value.field}}"`))
        delete rawParams[key]
      }
    } else if (value.type === "incremental" && typeof value.cursor_path === "string") {
      if (legacyIncremental !== undefined || endpoint.incremental !== undefined) {
        issues.push(issue(joinPath(`${ep}.params`, key), "an endpoint takes one incremental: this param defines a second one (dlt refuses this too)"))
      }
      legacyIncremental = {
        cursor_path: value.cursor_path,
        ...(value.initial_value !== undefined ? { initial_value: value.initial_value } : {}),
        ...(isFunction(value.convert) ? { convert: value.convert } : {})
      }
      rawParams[key] = "{incremental.start_value}"
    }
  }

  const pathTemplate = parseTemplate(rawPath, `${ep}.path`, issues)
  const params = templated(resolveValues(rawParams, `${ep}.params`, issues), `${ep}.params`, issues)
  const headers: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(endpoint.headers ?? {})) {
    const badName = checkHeaderName(key)
    if (badName !== undefined) issues.push(issue(joinPath(`${ep}.headers`, key), badName))
    headers[key] = typeof value === "string"
      ? { _tag: "Plain", value }
      : { _tag: "Secret", secret: secret(joinPath(`${ep}.headers`, key), value) }
  }
  const headerValues = templated(headers, `${ep}.headers`, issues)
  let json: Template.JsonTemplate | undefined
  if (endpoint.json !== undefined) json = orIssue(Template.parseJson(endpoint.json), `${ep}.json`, issues)
  const form = endpoint.data === undefined ? undefined : formOf(endpoint.data, `${ep}.data`, issues)
  if (endpoint.data !== undefined && endpoint.json !== undefined) {
    issues.push(issue(`${ep}.data`, "'data' and 'json' exclude each other (a request has one body)"))
  }

  // dlt's single-entity rule: a path ending in a placeholder (`users/{id}`) is one object,
  // unless the endpoint or resource_defaults say otherwise; it overrides the client paginator.
  const lastSegment = rawPath.replace(/\{\{|\}\}/g, "").split("/").filter((x) => x !== "").pop() ?? ""
  const singleEntity = /\{[^{}]+\}/.test(lastSegment)

  let dataSelector: DataSelector.DataSelector | undefined
  if (endpoint.data_selector !== undefined && endpoint.data_selector !== null) {
    dataSelector = orIssue(DataSelector.parse(endpoint.data_selector), `${ep}.data_selector`, issues)
  } else if (singleEntity) {
    dataSelector = DataSelector.root
  }

  // Paginator precedence: endpoint (incl. resource_defaults.endpoint) > single entity > client.
  const paginatorPath = endpoint.paginator !== undefined ? `${ep}.paginator` : "client.paginator"
  const paginatorConfig = endpoint.paginator !== undefined
    ? endpoint.paginator
    : singleEntity
    ? "single_page"
    : config.client.paginator
  const paginator = resolvePaginator(paginatorConfig ?? undefined, paginatorPath, issues)

  // Parent/child: every {resources.<parent>.<field>} must name the same parent.
  const used = [
    ...(pathTemplate === undefined ? [] : Template.placeholders(pathTemplate)),
    ...placeholdersOf(params),
    ...placeholdersOf(headerValues),
    ...Object.keys(headerValues).flatMap((name) => (name.includes("{") ? Either.match(Template.parse(name), { onLeft: () => [], onRight: Template.placeholders }) : [])),
    ...(json === undefined ? [] : Template.jsonPlaceholders(json)),
    ...formTemplates(form).flatMap(Template.placeholders)
  ]
  const parents = [...new Set(used.flatMap((p) => (p._tag === "Parent" ? [p.resource] : [])))]
  if (parents.length > 1) {
    issues.push(issue(ep, `a resource can have one parent, but its placeholders name ${parents.map((p) => `'${p}'`).join(" and ")}`))
  }
  const parent = parents[0]
  const includeFromParent = resource.include_from_parent ?? []
  if (includeFromParent.length > 0 && parent === undefined) {
    issues.push(issue(`${path}.include_from_parent`, "include_from_parent needs a parent resource ({resources.<parent>.<field>} in the endpoint)"))
  }

  const incrementalConfig = endpoint.incremental ?? legacyIncremental
  const incremental = incrementalConfig === undefined
    ? undefined
    : resolveIncremental(incrementalConfig, `${ep}.incremental`, keyList(resource.primary_key), issues)
  if (incremental !== undefined && endpoint.incremental !== undefined) {
    // dlt's older form: start_param/end_param name the query params that carry the values.
    const inc = endpoint.incremental
    if (inc.start_param !== undefined) params[inc.start_param] = templateValue("{incremental.start_value}")
    // Without an end value the end param is left out of the requests (rendered as None in dlt).
    if (inc.end_param !== undefined) params[inc.end_param] = templateValue("{incremental.end_value}")
  }
  if (incremental === undefined && used.some((p) => p._tag === "Incremental")) {
    issues.push(issue(ep, "{incremental.*} placeholders need an 'incremental' on the endpoint"))
  }
  if (incremental?.window !== undefined && parent !== undefined) {
    issues.push(issue(`${ep}.incremental.window`, "windows work on top-level resources, not on a child of another resource"))
  }

  const { disposition: writeDisposition, strategy: mergeStrategy, scd2 } = dispositionOf(
    resource.write_disposition,
    `${path}.write_disposition`,
    issues
  )
  const columnHints = resolveColumns(resource.columns, `${path}.columns`, issues)
  // dlt: a column hint `primary_key: true` / `merge_key: true` adds to the keys.
  const primaryKey = [...new Set([...keyList(resource.primary_key), ...columnHints.filter((c) => c.primaryKey === true).map((c) => c.name)])]
  const mergeKey = [...new Set([...keyList(resource.merge_key), ...columnHints.filter((c) => c.mergeKey === true).map((c) => c.name)])]
  if (writeDisposition === "merge" && mergeStrategy !== "scd2" && primaryKey.length === 0 && mergeKey.length === 0) {
    issues.push(issue(`${path}.primary_key`, `write_disposition 'merge' (${mergeStrategy}) needs a primary_key (a column name or a list of them)`))
  }
  if (mergeStrategy === "upsert" && mergeKey.length > 0) {
    issues.push(issue(`${path}.merge_key`, "the upsert strategy takes no merge_key (dlt's rule); use delete-insert"))
  }
  const auth = endpoint.auth === undefined
    ? undefined
    : endpoint.auth === null
    ? null
    : resolveAuth(endpoint.auth, `${ep}.auth`, issues)

  if (issues.length > before || paginator === undefined || pathTemplate === undefined) return undefined
  return {
    name: resource.name,
    configPath: path,
    tableName,
    tableNameOf: typeof resource.table_name === "function" ? call1(resource.table_name) : undefined,
    method,
    path: pathTemplate,
    params,
    headers: headerValues,
    json,
    form,
    dataSelector,
    paginator,
    primaryKey,
    writeDisposition,
    mergeStrategy,
    scd2,
    mergeKey,
    columnHints,
    contract: contractOf(resource.schema_contract),
    maxTableNesting: resource.max_table_nesting,
    selected: resource.selected ?? true,
    schema: resource.schema,
    parent,
    includeFromParent,
    concurrency: resource.concurrency ?? 5,
    incremental,
    responseActions: resolveResponseActions(endpoint.response_actions, `${ep}.response_actions`, issues),
    processingSteps: resolveProcessingSteps(resource.processing_steps),
    auth
  }
}
