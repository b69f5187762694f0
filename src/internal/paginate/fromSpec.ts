/**
 * The running paginator of a spec. Called where a stream starts: auto-detection and a
 * custom factory's paginators keep state, so every stream gets its own.
 */
import type { PaginatorSpec } from "../config/paginatorSpec.js"
import * as Auto from "./auto.js"
import * as Cursor from "./cursor.js"
import * as Custom from "./custom.js"
import * as HeaderCursor from "./headerCursor.js"
import * as HeaderLink from "./headerLink.js"
import * as JsonLink from "./jsonLink.js"
import type { Paginator } from "./paginator.js"
import * as Range from "./range.js"
import * as SinglePage from "./singlePage.js"

/** Built-in paginators keep no state (the request is the state), so one serves every stream of a spec. */
const stateless = new WeakMap<PaginatorSpec, Paginator>()

export const fromSpec = (spec: PaginatorSpec): Paginator => {
  if (spec._tag === "Auto" || spec._tag === "Custom" || spec._tag === "CustomFactory") return build(spec)
  let paginator = stateless.get(spec)
  if (paginator === undefined) {
    paginator = build(spec)
    stateless.set(spec, paginator)
  }
  return paginator
}

const build = (spec: PaginatorSpec): Paginator => {
  switch (spec._tag) {
    case "Auto":
      return Auto.make()
    case "SinglePage":
      return SinglePage.make()
    case "JsonLink":
      return JsonLink.make(spec.options)
    case "Cursor":
      return Cursor.make(spec.options)
    case "Range":
      return Range.make(spec.options)
    case "HeaderLink":
      return HeaderLink.make(spec.options)
    case "HeaderCursor":
      return HeaderCursor.make(spec.options)
    case "Custom":
      return Custom.make(Custom.fromUnknown(spec.paginator))
    case "CustomFactory": {
      // A factory that throws fails its stream, not the config.
      const factory = spec.factory
      return Custom.makeFromFactory(() => Custom.fromUnknown(factory()))
    }
  }
}
