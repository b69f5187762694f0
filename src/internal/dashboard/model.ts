/**
 * What the dashboard shows, as plain JSON-ready data: the shapes its endpoints return and the
 * config's resources as the dashboard needs them (no secrets: only names, keys, dispositions
 * and cursors).
 */
import { Data } from "effect"
import type { ResourceSpec, SourceSpec } from "../config/spec.js"
import type { ResourceReport, RunReport } from "../pipeline/runReport.js"

/** A resource of the config, as the dashboard describes it. */
export interface DashboardResource {
  readonly name: string
  /** Its root table. */
  readonly table: string
  readonly parent: string | null
  readonly writeDisposition: string
  readonly primaryKey: ReadonlyArray<string>
  readonly mergeKey: ReadonlyArray<string>
  /** The incremental cursor's path and initial value, if it has one. */
  readonly cursorPath: string | null
  readonly initialValue: unknown
}

/** The config's resources for the dashboard: what it says of each, never a secret. */
export const describeResources = <S>(spec: SourceSpec<S>): ReadonlyArray<DashboardResource> =>
  spec.resources.map((r: ResourceSpec<S>) => ({
    name: r.name,
    table: r.tableName,
    parent: r.parent ?? null,
    writeDisposition: r.writeDisposition,
    primaryKey: r.primaryKey,
    mergeKey: r.mergeKey,
    cursorPath: r.incremental?.cursorPath.source ?? null,
    initialValue: r.incremental?.initialValue ?? null
  }))

/** A load as `_rc_loads` records it. */
export interface LoadView {
  readonly loadId: string
  readonly resource: string
  readonly rows: number
  readonly rowsPerTable: Readonly<Record<string, number>>
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly status: string
  readonly schemaVersion: string | null
}

export interface ResourceOverview {
  readonly resource: string
  /** It is in the config (else only the dataset remembers it). */
  readonly inConfig: boolean
  /** Its entry in the newest run document that ran it. */
  readonly lastRun: (ResourceReport & { readonly load_id: string | null }) | null
  /** Its newest committed load. */
  readonly lastLoad: LoadView | null
}

export interface Overview {
  readonly dataset: string
  /** The newest run's document (the timeline), if any run kept one. */
  readonly lastRun: RunReport | null
  readonly resources: ReadonlyArray<ResourceOverview>
}

export interface RunSummary {
  readonly loadId: string | null
  readonly status: string
  readonly startedAt: string | null
  readonly seconds: number
  readonly error: string | null
  readonly resources: ReadonlyArray<{ readonly resource: string; readonly status: string; readonly rows: number; readonly error: string | null }>
}

export interface History {
  /** Every load, oldest first (at most the newest `limit`). */
  readonly loads: ReadonlyArray<LoadView>
  readonly totalLoads: number
  /** The newest runs' documents in brief, newest first. */
  readonly runs: ReadonlyArray<RunSummary>
}

export interface ColumnView {
  readonly name: string
  /** Its SQL type, as Postgres prints it. */
  readonly type: string
  readonly nullable: boolean
  /** The source key it holds (raw keys, outermost first), if recorded. */
  readonly source: ReadonlyArray<string> | null
  /** A variant column (`<name>__v_<type>`: values that did not fit `<name>`'s type): that column. */
  readonly variantOf: string | null
  readonly system: boolean
}

export interface TableNode {
  readonly name: string
  /** A child table's list key in its parent's rows. */
  readonly source: ReadonlyArray<string> | null
  readonly columns: ReadonlyArray<ColumnView>
  readonly children: ReadonlyArray<TableNode>
}

export interface RootTable extends TableNode {
  /** The config's resource that writes it, if any does. */
  readonly resource: DashboardResource | null
  /** The schema version its newest load used. */
  readonly schemaVersion: string | null
}

export interface SchemaView {
  readonly dataset: string
  readonly exists: boolean
  readonly tables: ReadonlyArray<RootTable>
  /** How many schema versions the dataset has recorded (`_rc_version`). */
  readonly versions: number
}

export interface StateView {
  readonly resource: string
  readonly inConfig: boolean
  readonly cursorPath: string | null
  readonly initialValue: unknown
  readonly stored: boolean
  /** The cursor's last value (a top-level resource's). */
  readonly lastValue: unknown
  /** A child's cursors, one per parent record. */
  readonly perParentCursors: number | null
  /** When the state was last stored, by which load. */
  readonly updatedAt: string | null
  readonly loadId: string | null
}

export interface RowsView {
  readonly columns: ReadonlyArray<string>
  /** Values as Postgres prints them; null for NULL. */
  readonly rows: ReadonlyArray<ReadonlyArray<string | null>>
  readonly command: string
  /** More rows were there than were returned. */
  readonly truncated: boolean
}

/**
 * A dashboard request that cannot be answered: `NotFound` (no such table), `BadRequest` (a
 * malformed request, or SQL the database refused), `Unavailable` (the database failed).
 */
export class DashboardError extends Data.TaggedError("DashboardError")<{
  readonly reason: "NotFound" | "BadRequest" | "Unavailable"
  readonly message: string
}> {}
