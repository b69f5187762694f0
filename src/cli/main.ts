/**
 * The node entrypoint of `rest-connector`. Errors are printed once, plainly, on stderr
 * (secrets were redacted where the errors were made). Exit codes, for schedulers: 0 success,
 * 1 a resource (or the run) failed (also: the data directory stayed in use by another process
 * past --wait-timeout), 2 a usage or config error, 130 / 143 interrupted by
 * SIGINT / SIGTERM (a second signal exits at once, without waiting for the rollback).
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Logger, LogLevel } from "effect"
import { ConfigError } from "../internal/config/configError.js"
import { UnknownResourceError } from "../internal/pipeline/loadInfo.js"
import { CommandFailed, command } from "./commands.js"
import { UsageError } from "./datasetOptions.js"
import { scrub, scrubbingLogger } from "./redaction.js"

const cli = Command.run(command, { name: "rest-connector", version: "0.1.0" })

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const ExitCode = { failed: 1, usage: 2, SIGINT: 130, SIGTERM: 143 } as const

// The runtime interrupts the run on the first signal (its finalizers roll back and drop
// staging); these listeners remember which signal it was and make a second one final.
let signal: "SIGINT" | "SIGTERM" | undefined
const onSignal = (name: "SIGINT" | "SIGTERM") => () => {
  if (signal !== undefined) {
    process.stderr.write(`${name} again: exiting now\n`)
    process.exit(ExitCode[name])
  }
  signal = name
  process.stderr.write(`${name}: stopping; loads not yet committed roll back (send it again to exit at once)\n`)
}
process.on("SIGINT", onSignal("SIGINT"))
process.on("SIGTERM", onSignal("SIGTERM"))

const isUsageError = (error: unknown): boolean =>
  ValidationError.isValidationError(error) || error instanceof ConfigError || error instanceof UnknownResourceError ||
  error instanceof UsageError

cli(process.argv).pipe(
  Effect.catchAllCause((cause) => {
    const failure = Cause.failureOption(cause)
    process.exitCode = failure._tag === "Some" && isUsageError(failure.value) ? ExitCode.usage : ExitCode.failed
    if (failure._tag === "Some") {
      const error = failure.value
      // CommandFailed was already explained; @effect/cli prints its own validation errors.
      if (error instanceof CommandFailed || ValidationError.isValidationError(error)) {
        return Effect.void
      }
      return Console.error(`error: ${scrub(describe(error))}`)
    }
    return Console.error(`error: ${scrub(Cause.pretty(cause))}`)
  }),
  Logger.withMinimumLogLevel(LogLevel.Warning),
  Effect.provide(scrubbingLogger),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // Our own pretty logger (scrubbing secrets) replaces the default one instead.
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      if (signal !== undefined && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) onExit(ExitCode[signal])
      // Otherwise node exits on its own once stdout is flushed, with process.exitCode.
      else onExit(0)
    }
  })
)
