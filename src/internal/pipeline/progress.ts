/**
 * Progress of a run, per resource. The library reports to this service; by default nobody
 * listens. The CLI provides a reporter that prints one line per resource to stderr.
 */
import { Context, Effect, Layer } from "effect"

export interface ResourceProgress {
  readonly resource: string
  readonly table: string
  readonly rows: number
  readonly pages: number
  readonly requests: number
  readonly retries: number
  readonly seconds: number
  readonly state: "running" | "committing" | "done" | "failed"
  /** The run's load id. */
  readonly loadId?: string | undefined
  /** Rows written per table (root and child tables), once the resource is done. */
  readonly rowsPerTable?: Readonly<Record<string, number>> | undefined
  /** Why the resource failed, once it has (not redacted: the reporter redacts what it prints). */
  readonly error?: string | undefined
  /** When it started, got its first page and ended its fetching (epoch ms; the run report's timeline). */
  readonly startedMillis?: number | undefined
  readonly firstPageMillis?: number | undefined
  readonly fetchedMillis?: number | undefined
}

export class Progress extends Context.Tag("effect-rest-connector/Progress")<Progress, {
  readonly report: (progress: ResourceProgress) => Effect.Effect<void>
}>() {
  static readonly silent: Layer.Layer<Progress> = Layer.succeed(Progress, { report: () => Effect.void })
}

/** The progress service if provided, else silence: the library does not require one. */
export const report = (progress: ResourceProgress): Effect.Effect<void> =>
  Effect.serviceOption(Progress).pipe(
    Effect.flatMap((service) => (service._tag === "Some" ? service.value.report(progress) : Effect.void))
  )
