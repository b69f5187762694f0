/**
 * The node entrypoint of `rest-connector`. Errors are printed once, plainly, on stderr
 * (secrets were redacted where the errors were made) and the exit status is 1.
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Logger, LogLevel } from "effect"
import { CommandFailed, command } from "./commands.js"

const cli = Command.run(command, { name: "rest-connector", version: "0.1.0" })

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))

cli(process.argv).pipe(
  Effect.catchAllCause((cause) => {
    process.exitCode = 1
    const failure = Cause.failureOption(cause)
    if (failure._tag === "Some") {
      const error = failure.value
      // CommandFailed was already explained; @effect/cli prints its own validation errors.
      if (error instanceof CommandFailed || ValidationError.isValidationError(error)) {
        return Effect.void
      }
      return Console.error(`error: ${describe(error)}`)
    }
    return Console.error(`error: ${Cause.pretty(cause)}`)
  }),
  Logger.withMinimumLogLevel(LogLevel.Warning),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)
