/** What the parts of a run share: the run's context and each resource's node in its tree. */
import type { Effect } from "effect"
import type { ResourceSpec } from "../config/spec.js"
import type { Secret } from "../config/secrets.js"
import type * as Incremental from "../extract/incremental.js"
import type { ExtractError } from "../extract/resource.js"
import type { RestApiSource } from "../extract/source.js"
import type { DestinationError, LoadResult } from "../load/destination.js"
import type * as Normalizer from "../normalize/normalizer.js"
import type { TableSchema } from "../normalize/tableSchema.js"
import type { NodeTelemetry } from "../telemetry/runTelemetry.js"
import type { ResourceError, RunOptions } from "./loadInfo.js"
import type * as Progress from "./progress.js"
import type { ResourceState } from "./resourceState.js"

export type Resource = ResourceSpec<Secret>

export interface RunContext {
  readonly source: RestApiSource
  readonly options: RunOptions
  readonly loadId: string
  readonly stored: ReadonlyArray<TableSchema>
  readonly loaded: ReadonlySet<string>
  readonly needed: ReadonlySet<string>
  readonly byName: ReadonlyMap<string, Resource>
  /** Whether the run makes spans and updates metrics (read once, at its start). */
  readonly telemetry: boolean
  /** Reports a resource's progress (nothing when no Progress service is provided). */
  readonly report: (
    node: Node,
    state: Progress.ResourceProgress["state"],
    rowsPerTable?: Readonly<Record<string, number>>
  ) => Effect.Effect<void>
}

export interface Counters {
  rows: number
  pages: number
  requests: number
  retries: number
  /** NUL characters stored as U+FFFD (Postgres text cannot hold them). */
  replacedNuls: number
}

/** When a resource's fetching reached its milestones (for the run report's timeline). */
export interface Milestones {
  /** When its first page arrived. */
  firstPageMillis: number | undefined
  /** When its stream (its tree's root stream, which feeds it) ended. */
  fetchedMillis: number | undefined
}

/** A resource's part in a tree run. */
export interface Node {
  readonly resource: Resource
  readonly table: string
  readonly counters: Counters
  readonly startedMillis: number
  readonly milestones: Milestones
  readonly children: ReadonlyArray<Node>
  /** Adds records to the load (undefined when the resource only feeds its children). */
  readonly write: ((records: ReadonlyArray<unknown>) => Effect.Effect<void, Normalizer.NormalizeError | DestinationError>) | undefined
  readonly finish: Effect.Effect<LoadResult, Normalizer.NormalizeError | DestinationError> | undefined
  /** The incremental run for a top-level resource, or one per parent record for a child. */
  readonly incrementalFor: (parent: unknown) => Incremental.IncrementalRun | undefined
  /** A top-level resource's runs: one, or one per window of a windowed cursor. */
  readonly rootRuns: Effect.Effect<ReadonlyArray<Incremental.IncrementalRun | undefined>, ExtractError>
  readonly state: () => ResourceState | undefined
  /** The resource's span and metrics, when telemetry is on. */
  readonly telemetry: NodeTelemetry | undefined
  failure: ResourceError | undefined
}
