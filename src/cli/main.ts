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
import { CommandFailed, command, description, subcommands } from "./commands.js"
import { UsageError } from "./datasetOptions.js"
import { EnvFileError } from "./envFile.js"
import { requestedHelp } from "./help.js"
import { cliLogger, formatEntry, outputSettings, withCliConsole } from "./logging.js"
import { scrub } from "./redaction.js"
import { installSignalHandlers, receivedSignal, signalExitCode } from "./signals.js"

const cli = Command.run(command, { name: "rest-connector", version: "0.1.0" })

/** An error's message, and its cause's when it has one (SqlError says "Failed to execute statement"; its cause says why). */
const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const cause: unknown = error.cause
  return cause instanceof Error && cause.message !== "" && !error.message.includes(cause.message)
    ? `${error.message}: ${cause.message}`
    : error.message
}

const ExitCode = { failed: 1, usage: 2 } as const

// How stderr lines look (--log-format, colour) is known before the arguments are parsed.
const settings = outputSettings(process.argv, process.env, {
  stdout: process.stdout.isTTY === true,
  stderr: process.stderr.isTTY === true
})

// Node's warnings (a dependency's deprecation) become debug log lines (logging.ts withNodeWarnings).
process.removeAllListeners("warning")

installSignalHandlers((level, text) => {
  const line = settings.format === "json"
    ? formatEntry(settings, {
      level: level === "error" ? LogLevel.Error : LogLevel.Warning,
      message: text,
      annotations: [["event", "signal"]],
      cause: Cause.empty,
      date: new Date()
    })
    : text
  process.stderr.write(`${line}\n`)
})

const isUsageError = (error: unknown): boolean =>
  ValidationError.isValidationError(error) || error instanceof ConfigError || error instanceof UnknownResourceError ||
  error instanceof UsageError || error instanceof EnvFileError

const program = {
  name: "rest-connector",
  version: "0.1.0",
  description,
  commands: subcommands.map((c) => c.descriptor)
}

// Our own help (each option's purpose and default); anything else is @effect/cli's to parse.
const help = requestedHelp(program, process.argv.slice(2))
const main = help === undefined
  ? cli(process.argv)
  : help.usageError
  ? Effect.sync(() => {
    process.exitCode = ExitCode.usage
  }).pipe(Effect.zipRight(Console.error(help.text)))
  : Console.log(help.text)

main.pipe(
  Effect.catchAllCause((cause) => {
    const failure = Cause.failureOption(cause)
    process.exitCode = failure._tag === "Some" && isUsageError(failure.value) ? ExitCode.usage : ExitCode.failed
    if (failure._tag === "Some") {
      const error = failure.value
      // CommandFailed was already explained; @effect/cli prints its own validation errors.
      if (error instanceof CommandFailed || ValidationError.isValidationError(error)) {
        return Effect.void
      }
      return Effect.logError(scrub(describe(error)))
    }
    return Effect.logError(scrub(Cause.pretty(cause)))
  }),
  // Info shows progress and retries; --quiet, --verbose and --log-level change it per command.
  Logger.withMinimumLogLevel(LogLevel.Info),
  Effect.provide(Logger.replace(Logger.defaultLogger, cliLogger(settings))),
  withCliConsole(settings),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // Our own logger (plain or JSON lines, scrubbing secrets) replaces the default one instead.
    disablePrettyLogger: true,
    teardown: (exit, onExit) => {
      const signal = receivedSignal()
      if (signal !== undefined && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)) onExit(signalExitCode[signal])
      // Otherwise node exits on its own once stdout is flushed, with process.exitCode.
      else onExit(0)
    }
  })
)
