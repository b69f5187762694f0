/**
 * resource_defaults merged into each resource the way dlt merges them
 * (`_merge_resource_endpoints`): key by key, inside `endpoint` too.
 */
import type { EndpointConfig, ResourceConfig, ResourceDefaults } from "./schema.js"
import { isPlainObject } from "./resolveSupport.js"

export type EndpointObject = EndpointConfig
export type ResourceObject = ResourceConfig

export const asEndpoint = (endpoint: string | EndpointObject | undefined): EndpointObject | undefined =>
  typeof endpoint === "string" ? { path: endpoint } : endpoint

/**
 * Defaults fill the keys a resource does not set; inside `endpoint` key by key too. Where
 * both set a key the resource wins whole, except `params` and `json`, merged one level deep.
 */
export const mergeDefaults = (resource: ResourceObject, defaults: ResourceDefaults | undefined): ResourceObject => {
  if (defaults === undefined) return resource
  const own = asEndpoint(resource.endpoint)
  const base = asEndpoint(defaults.endpoint)
  let endpoint: EndpointObject | undefined = own ?? base
  if (own !== undefined && base !== undefined) {
    const mergedJson = isPlainObject(base.json) && isPlainObject(own.json) ? { ...base.json, ...own.json } : (own.json ?? base.json)
    endpoint = {
      ...base,
      ...own,
      ...(base.params !== undefined || own.params !== undefined ? { params: { ...base.params, ...own.params } } : {}),
      ...(mergedJson !== undefined ? { json: mergedJson } : {})
    }
  }
  const { endpoint: _ignored, ...defaultsRest } = defaults
  return { ...defaultsRest, ...resource, ...(endpoint !== undefined ? { endpoint } : {}) }
}
