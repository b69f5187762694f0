/**
 * A resource's node in its tree run: its children, its incremental runs (one for a top-level
 * resource, one per window of a windowed cursor, one per parent record for a child) and, when
 * it is loaded, its writers.
 */
import { Clock, Effect, Either } from "effect"
import type * as Scope from "effect/Scope"
import * as Incremental from "../extract/incremental.js"
import { ExtractError } from "../extract/resource.js"
import { Destination, type DestinationError } from "../load/destination.js"
import { tableNameOf } from "./loadInfo.js"
import { converted, parentKey, readState, type ResourceState } from "./resourceState.js"
import { openWriters } from "./resourceWriters.js"
import * as Telemetry from "../telemetry/runTelemetry.js"
import type { Counters, Node, Resource, RunContext } from "./runContext.js"

/** A resource's node, under the resource's span when telemetry is on (its children's spans under it). */
export const makeNode = (
  context: RunContext,
  resource: Resource
): Effect.Effect<Node, DestinationError, Destination | Scope.Scope> =>
  Effect.flatMap(
    Telemetry.startResource(context.telemetry, resource, tableNameOf(resource)),
    (telemetry) => Telemetry.within(telemetry)(buildNode(context, resource, telemetry))
  )

const buildNode = (
  context: RunContext,
  resource: Resource,
  telemetry: Telemetry.NodeTelemetry | undefined
): Effect.Effect<Node, DestinationError, Destination | Scope.Scope> =>
  Effect.gen(function*() {
    const destination = yield* Destination
    const { options } = context
    const table = tableNameOf(resource)
    const counters: Counters = { rows: 0, pages: 0, requests: 0, retries: 0, replacedNuls: 0 }
    const startedMillis = yield* Clock.currentTimeMillis
    // Another run loading this resource goes first (before its state is read): this one then
    // starts from the state and the tables that run stored. Parents before children, in the
    // config's order, in every run: two runs never wait for each other.
    const waited = context.loaded.has(resource.name) ? yield* destination.lockResource(options.dataset, resource.name) : false
    const children: Array<Node> = []
    for (const child of context.byName.values()) {
      if (child.parent === resource.name && context.needed.has(child.name)) children.push(yield* makeNode(context, child))
    }

    // Incremental state: one cursor for a top-level resource, one per parent record for a child.
    const stored = resource.incremental === undefined || options.fullRefresh === true
      ? {}
      : readState(yield* destination.loadState(options.dataset, resource.name))
    const spec = resource.incremental
    const topRaw = spec === undefined || resource.parent !== undefined ? undefined : Incremental.start(spec, stored.incremental)
    const topRun = spec === undefined || topRaw === undefined ? undefined : converted(topRaw, spec)
    // A windowed top-level cursor requests its range window by window; the runs share the
    // record filter and the state, so the cursor moves on across all of them.
    const rootRuns = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (spec?.window === undefined || topRaw === undefined) return Effect.succeed([topRun])
      const p = topRaw.placeholders
      return Either.match(Incremental.windows(p.start_value, p.end_value, spec.window, now), {
        onLeft: (e) => Effect.fail(new ExtractError({ reason: "Incremental", resource: resource.name, url: "", page: 0, detail: e.message })),
        onRight: (windows) =>
          Effect.succeed(windows.map(([from, to]) =>
            converted({ ...topRaw, placeholders: { ...p, start_value: from, last_value: from, end_value: to } }, spec)
          ))
      })
    })
    const perParent: Record<string, Incremental.IncrementalState> = { ...stored.perParent }
    const runs: Array<readonly [string, Incremental.IncrementalRun]> = []
    const incrementalFor = (parent: unknown): Incremental.IncrementalRun | undefined => {
      if (spec === undefined) return undefined
      if (resource.parent === undefined) return topRun
      const key = parentKey(resource, parent)
      const childRun = converted(Incremental.start(spec, perParent[key]), spec)
      runs.push([key, childRun])
      return childRun
    }
    const state = (): ResourceState | undefined => {
      if (spec === undefined) return undefined
      if (resource.parent === undefined) {
        const s = topRun?.state()
        return s === undefined ? undefined : { incremental: s }
      }
      const next: Record<string, Incremental.IncrementalState> = { ...perParent }
      for (const [key, r] of runs) {
        const s = r.state()
        if (s !== undefined) next[key] = s
      }
      return { perParent: next }
    }

    if (!context.loaded.has(resource.name)) {
      return { resource, table, counters, startedMillis, milestones: { firstPageMillis: undefined, fetchedMillis: undefined }, children, write: undefined, finish: undefined, incrementalFor, rootRuns, state, telemetry, failure: undefined }
    }
    const current = waited ? { ...context, stored: yield* destination.storedTables(options.dataset) } : context
    const { write, finish } = yield* openWriters(current, resource, table, counters, startedMillis, state)
    return { resource, table, counters, startedMillis, milestones: { firstPageMillis: undefined, fetchedMillis: undefined }, children, write, finish, incrementalFor, rootRuns, state, telemetry, failure: undefined }
  })
