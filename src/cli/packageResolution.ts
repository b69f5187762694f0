/**
 * A config module's imports of `effect-rest-connector` and Effect resolve to the CLI's own
 * copies, whether or not the config's folder has them installed. So a globally installed CLI
 * loads a `.ts` config that imports `defineConfig` from the package, and a process never holds
 * two copies of Effect (a config's Schema must be the Effect the CLI decodes with).
 *
 * ESM configs go through resolve hooks (packageResolveHooks.ts). A `.ts` config outside an ES
 * module package is CommonJS to Node (tsx compiles its imports to `require`), so CommonJS
 * resolution is wrapped too, answering with the ESM build (loaded through `require(esm)`,
 * Node 20.19+), the same module instance the CLI uses.
 */
import Module, { register } from "node:module"
import { fileURLToPath } from "node:url"
import { shared } from "./packageResolveHooks.js"

type ResolveFilename = (request: string, ...rest: ReadonlyArray<unknown>) => string

const isResolveFilename = (u: unknown): u is ResolveFilename => typeof u === "function"

let registered = false

/**
 * Registers the resolution, once, just before the first config module is imported (the hooks
 * run in a thread of their own: ~0.05 s and 10 MB that a JSON or YAML config never needs).
 */
export const shareOwnPackages = (): void => {
  // A checkout running the TypeScript sources through tsx resolves them from the checkout anyway.
  if (registered || !import.meta.url.endsWith(".js")) return
  registered = true
  register(new URL("./packageResolveHooks.js", import.meta.url), {
    parentURL: import.meta.url,
    data: { parentURL: import.meta.url }
  })
  const original: unknown = Reflect.get(Module, "_resolveFilename")
  if (!isResolveFilename(original)) return
  const resolveFilename = function(this: unknown, request: string, ...rest: ReadonlyArray<unknown>): string {
    return shared.test(request) ? fileURLToPath(import.meta.resolve(request)) : Reflect.apply(original, this, [request, ...rest])
  }
  Reflect.set(Module, "_resolveFilename", resolveFilename)
}
