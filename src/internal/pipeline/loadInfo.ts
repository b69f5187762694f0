/** What a run takes (RunOptions) and what it tells (LoadInfo), and how resources fail in it. */
import { Data } from "effect"
import type { SourceError } from "../extract/source.js"
import type { DestinationError } from "../load/destination.js"
import * as Naming from "../normalize/naming.js"
import type * as Normalizer from "../normalize/normalizer.js"

export interface RunOptions {
  /**
   * Postgres schema to load into. A name over Postgres' 63 bytes is shortened to its head and
   * a hash of the whole name (the same every run; `LoadInfo.dataset` says which).
   */
  readonly dataset: string
  /** Only these resources (by name); their parents are fetched too. Default: every selected resource. */
  readonly resources?: ReadonlyArray<string> | undefined
  /** Resource trees loaded at the same time (default 3). */
  readonly concurrency?: number | undefined
  /**
   * Rows per table that wait before they go to staging as one INSERT on the embedded database
   * (default 1000); a server's COPY waits for ~1 MiB of encoded rows. Pages are normalized as
   * they arrive either way.
   */
  readonly batchRows?: number | undefined
  /** Ignore stored incremental state and start over (the new state replaces it). */
  readonly fullRefresh?: boolean | undefined
  /**
   * A key per resource commit (a durable workflow's activity id): each key commits once, claimed
   * in `_rc_commits` in the commit's own transaction. A retried attempt whose first try
   * committed rolls back instead of committing twice (`ResourceLoadInfo.committedEarlier`).
   */
  readonly commitKey?: ((resource: string) => string | undefined) | undefined
}

export type ResourceError = SourceError | Normalizer.NormalizeError | DestinationError | ParentFailed | UnexpectedError

/**
 * A throw nobody expected while loading a resource (a bug of ours, or user code called where we
 * did not guard it). It fails that resource only: the others finish and the summary is printed.
 */
export class UnexpectedError extends Data.TaggedError("UnexpectedError")<{ readonly resource: string; readonly detail: string }> {
  override get message(): string {
    return `resource '${this.resource}' failed unexpectedly: ${this.detail}`
  }
}

/** A child resource whose parent failed: its data would be incomplete, so it is not loaded. */
export class ParentFailed extends Data.TaggedError("ParentFailed")<{ readonly resource: string; readonly parent: string }> {
  override get message(): string {
    return `resource '${this.resource}' was not loaded because its parent '${this.parent}' failed`
  }
}

/** When a resource's load started, got its first page, ended its fetching, and committed or failed (epoch ms). */
export interface ResourceTimes {
  readonly startedMillis: number
  readonly firstPageMillis: number | undefined
  readonly fetchedMillis: number | undefined
  readonly finishedMillis: number
}

export interface ResourceLoadInfo {
  readonly resource: string
  readonly table: string
  readonly status: "committed" | "failed"
  /** Rows written per table (the root table and its child tables). */
  readonly rowsPerTable: Readonly<Record<string, number>>
  /** Records of the resource (rows of its root table). */
  readonly rows: number
  readonly pages: number
  readonly requests: number
  readonly retries: number
  /** NUL characters (U+0000, which Postgres text cannot hold) stored as U+FFFD. */
  readonly replacedNuls: number
  readonly seconds: number
  readonly error?: ResourceError | undefined
  /** The load id of the earlier commit that held this run's commit key (`RunOptions.commitKey`): this run's load rolled back. */
  readonly committedEarlier?: string | undefined
  /** Its timeline (absent when it failed before it started). */
  readonly times?: ResourceTimes | undefined
}

/** What the API's adaptive concurrency limit did in a run (issue 14's summary line). */
export interface HttpInfo {
  /** The API's host (`client.base_url`'s). */
  readonly host: string
  /** The most requests that were in flight at once. */
  readonly maxInFlight: number
  /** The limit at the end of the run. */
  readonly limit: number
  /** Responses that pushed back: 429, 503, or a low rate-limit budget. */
  readonly throttles: number
}

export interface LoadInfo {
  readonly loadId: string
  /** The schema loaded into (the given name, shortened if too long for Postgres). */
  readonly dataset: string
  readonly resources: ReadonlyArray<ResourceLoadInfo>
  readonly failed: boolean
  /** The API's concurrency in this run (absent when the ApiClient in context is a fake that does not say). */
  readonly http?: HttpInfo | undefined
}

export class UnknownResourceError extends Data.TaggedError("UnknownResourceError")<{
  readonly names: ReadonlyArray<string>
  readonly available: ReadonlyArray<string>
}> {
  override get message(): string {
    return `unknown resource(s) ${this.names.map((n) => `'${n}'`).join(", ")}; the config has ${this.available.join(", ")}`
  }
}

/** The table a resource loads into, as named in Postgres. */
export const tableNameOf = (resource: { readonly tableName: string }): string =>
  Naming.shorten(Naming.normalizeIdentifier(resource.tableName))
