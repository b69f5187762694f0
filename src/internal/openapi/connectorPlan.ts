/** What a generated connector is made from: the options of `init --openapi` and each resource's plan and paginator. */
import type { ResourcePlan } from "./resources.js"

export type OutputFormat = "ts" | "json" | "yaml"

export interface GenerateOptions {
  /** The connector's name: file names, secret names (`<NAME>_TOKEN`). */
  readonly name: string
  readonly format: OutputFormat
  /** Where the document came from (for the header comment and README). */
  readonly source: string
  /** Globs on resource names or paths: only these (default: all list operations). */
  readonly include: ReadonlyArray<string>
  readonly exclude: ReadonlyArray<string>
}

export interface ResourceSummary {
  readonly plan: ResourcePlan
  readonly paginator: Record<string, unknown> | "auto"
  readonly paginatorNote: string
  /** Query params the paginator wants sent (a page size). */
  readonly paginatorParams: Readonly<Record<string, unknown>>
}
