/**
 * Module resolution hooks (Node's `module.register`) for config modules: a config's imports
 * of `effect-rest-connector` and Effect resolve to the CLI's own copies (see
 * packageResolution.ts for why).
 */
import type { InitializeHook, ResolveHook } from "node:module"

let ownParent: string | undefined

export const initialize: InitializeHook<{ readonly parentURL: string }> = (data) => {
  ownParent = data.parentURL
}

/** The packages a config shares with the CLI. */
export const shared = /^(effect-rest-connector|effect|@effect\/[^/]+)(\/.*)?$/

export const resolve: ResolveHook = (specifier, context, next) =>
  ownParent !== undefined && shared.test(specifier)
    ? next(specifier, { ...context, parentURL: ownParent })
    : next(specifier, context)
