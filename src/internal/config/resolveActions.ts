/** `response_actions` and `processing_steps`. */
import { type ConfigIssue, issue } from "./configError.js"
import type { ResourceObject } from "./defaults.js"
import { call1, isFunction } from "./resolveSupport.js"
import type { EndpointConfig } from "./schema.js"
import type { ProcessingStep, ResponseAction, ResponseActionKind } from "./spec.js"

export const resolveResponseActions = (
  actions: EndpointConfig["response_actions"],
  path: string,
  issues: Array<ConfigIssue>
): ReadonlyArray<ResponseAction> =>
  (actions ?? []).flatMap((action, i): ReadonlyArray<ResponseAction> => {
    if (isFunction(action)) {
      return [{ _tag: "Function", f: (response) => asActionKind(call1(action)(response)) }]
    }
    if (action.status_code === undefined && action.content === undefined) {
      issues.push(issue(`${path}[${i}]`, "a response action needs a status_code, a content, or both"))
      return []
    }
    if (typeof action.action !== "string") {
      issues.push(issue(`${path}[${i}].action`, "functions that rewrite the response are not supported; use \"ignore\", \"retry\" or \"fail\", or a function of the response returning one of them"))
      return []
    }
    return [{ _tag: "Match", statusCode: action.status_code, content: action.content, action: action.action }]
  })

const asActionKind = (u: unknown): ResponseActionKind | undefined =>
  u === "ignore" || u === "retry" || u === "fail" ? u : undefined

export const resolveProcessingSteps = (steps: ResourceObject["processing_steps"]): ReadonlyArray<ProcessingStep> =>
  (steps ?? []).map((step): ProcessingStep =>
    "filter" in step
      ? { _tag: "filter", f: call1(step.filter) }
      : "map" in step
      ? { _tag: "map", f: call1(step.map) }
      : { _tag: "yield_map", f: call1(step.yield_map) }
  )
