/**
 * What the CLI writes on stderr: log lines, plain text (`warning: `/`error: ` prefixes, colour
 * only on a terminal without NO_COLOR) or, with `--log-format json`, one JSON object per line
 * for log collectors. Levels: the default shows progress and each retry (info); `--quiet`
 * only errors; `--verbose` also one line per HTTP request (debug). Every line is scrubbed of
 * the run's secrets.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import { Cause, Effect, FiberRef, HashMap, Logger, LogLevel, Runtime } from "effect"
import { scrub } from "./redaction.js"

export type LogFormat = "pretty" | "json"

export interface OutputSettings {
  readonly format: LogFormat
  /** ANSI colour on stderr. */
  readonly stderrColor: boolean
  /** ANSI colour on stdout. */
  readonly stdoutColor: boolean
}

/** https://no-color.org: set and not empty. */
const noColor = (env: NodeJS.ProcessEnv): boolean => (env["NO_COLOR"] ?? "") !== ""

/**
 * The settings the entrypoint needs before @effect/cli has parsed anything (its own usage
 * errors are printed with them too): `--log-format` read from the raw arguments (the option
 * itself is declared on each command, for help and validation), colour from the streams.
 */
export const outputSettings = (
  argv: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  tty: { readonly stdout: boolean; readonly stderr: boolean }
): OutputSettings => {
  let format: LogFormat = "pretty"
  argv.forEach((arg, i) => {
    const value = arg === "--log-format" ? argv[i + 1] : arg.startsWith("--log-format=") ? arg.slice(13) : undefined
    if (value === "json" || value === "pretty") format = value
  })
  return { format, stderrColor: tty.stderr && !noColor(env), stdoutColor: tty.stdout && !noColor(env) }
}

const ansi = /\x1b\[[0-9;]*[A-Za-z]/g

/** Text without ANSI escape sequences. */
export const stripAnsi = (text: string): string => text.replace(ansi, "")

const paint = (color: boolean, code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)

const textOf = (message: unknown): string =>
  Array.isArray(message) ? message.map(textOf).join(" ") : typeof message === "string" ? message : String(message)

const scrubbed = (value: unknown): unknown => (typeof value === "string" ? scrub(value) : value)

export interface LogEntry {
  readonly level: LogLevel.LogLevel
  readonly message: unknown
  readonly annotations: ReadonlyArray<readonly [string, unknown]>
  readonly cause: Cause.Cause<unknown>
  readonly date: Date
}

/** One log entry as the line written on stderr (without its newline). */
export const formatEntry = (settings: OutputSettings, entry: LogEntry): string => {
  const message = scrub(textOf(entry.message))
  const cause = Cause.isEmpty(entry.cause) ? undefined : scrub(Cause.pretty(entry.cause, { renderErrorCause: true }))
  if (settings.format === "json") {
    const object: Record<string, unknown> = { time: entry.date.toISOString(), level: entry.level.label.toLowerCase(), message }
    if (cause !== undefined) object["cause"] = cause
    // Annotations never replace the fields above.
    for (const [key, value] of entry.annotations) if (!(key in object)) object[key] = scrubbed(value)
    return JSON.stringify(object)
  }
  const text = cause === undefined ? message : `${message}\n${cause}`
  const color = settings.stderrColor
  if (LogLevel.greaterThanEqual(entry.level, LogLevel.Error)) return `${paint(color, "31;1", "error:")} ${text}`
  if (LogLevel.greaterThanEqual(entry.level, LogLevel.Warning)) return `${paint(color, "33;1", "warning:")} ${text}`
  if (LogLevel.lessThan(entry.level, LogLevel.Info)) return paint(color, "2", text)
  return text
}

/** The CLI's logger: every entry, formatted, on stderr. */
export const cliLogger = (settings: OutputSettings): Logger.Logger<unknown, void> =>
  Logger.make(({ annotations, cause, date, logLevel, message }) => {
    process.stderr.write(
      `${formatEntry(settings, { level: logLevel, message, annotations: HashMap.toEntries(annotations), cause, date })}\n`
    )
  })

/**
 * A line @effect/cli (usage errors) or a command prints with `Console.error`: without ANSI
 * codes where colour is off, and as a JSON error entry with `--log-format json`.
 */
export const consoleErrorLine = (settings: OutputSettings, text: string): string =>
  settings.format === "json"
    ? formatEntry(settings, { level: LogLevel.Error, message: stripAnsi(text).trim(), annotations: [], cause: Cause.empty, date: new Date() })
    : settings.stderrColor
    ? text
    : stripAnsi(text)

type Verbosity = "quiet" | "default" | "verbose"

const verbosity: Options.Options<Verbosity> = Options.all({
  quiet: Options.boolean("quiet").pipe(
    Options.withAlias("q"),
    Options.withDescription("print only errors on stderr, and no summary table; a --json document is still printed (default: off)")
  ),
  verbose: Options.boolean("verbose").pipe(
    Options.withAlias("v"),
    Options.withDescription("also log one line per HTTP request: resource, method, URL (secrets redacted), status, milliseconds (default: off)")
  )
}).pipe(
  Options.mapEffect(({ quiet, verbose }) =>
    quiet && verbose
      ? Effect.fail(ValidationError.invalidValue(HelpDoc.p("--quiet and --verbose cannot be used together")))
      : Effect.succeed<Verbosity>(quiet ? "quiet" : verbose ? "verbose" : "default")
  )
)

const logFormat = Options.choice("log-format", ["pretty", "json"]).pipe(
  Options.withDescription("how stderr lines are written: pretty, plain text; json, one JSON object per line for log collectors (default: pretty)"),
  Options.withDefault("pretty")
)

/** The logging options every command takes. */
export const logOptions = { verbosity, logFormat }

/**
 * The command's effect at the level its options ask for: `--quiet` errors only, `--verbose`
 * debug; neither keeps the level in place (info, or what `--log-level` set).
 */
export const withVerbosity = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: { readonly verbosity: Verbosity }
): Effect.Effect<A, E, R> =>
  options.verbosity === "quiet"
    ? Logger.withMinimumLogLevel(effect, LogLevel.Error)
    : options.verbosity === "verbose"
    ? Logger.withMinimumLogLevel(effect, LogLevel.Debug)
    : effect

/** Whether info lines (progress, the summary table) are shown at the current level. */
export const showsInfo: Effect.Effect<boolean> = Effect.map(
  FiberRef.get(FiberRef.currentMinimumLogLevel),
  (level) => LogLevel.lessThanEqual(level, LogLevel.Info)
)

/**
 * The Console the commands and @effect/cli print through: stdout loses ANSI codes where
 * colour is off; stderr lines go out as `consoleErrorLine` says.
 */
export const withCliConsole = (settings: OutputSettings) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.console, (base) =>
    Effect.withConsole(effect, {
      ...base,
      log: (...args: ReadonlyArray<unknown>) =>
        base.log(...(settings.stdoutColor ? args : args.map((a) => (typeof a === "string" ? stripAnsi(a) : a)))),
      error: (...args: ReadonlyArray<unknown>) => base.error(consoleErrorLine(settings, args.map(textOf).join(" ")))
    }))

/**
 * Node's own process warnings (a dependency's deprecation notice) as debug log lines while
 * `effect` runs: written through the CLI's logger (JSON with --log-format json, hidden unless
 * --verbose), not as stray text on stderr. The entrypoint removes Node's default printer.
 */
export const withNodeWarnings = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const listener = (warning: Error) => {
          Runtime.runFork(runtime)(
            Effect.logDebug(`node: ${warning.name}: ${warning.message}`).pipe(Effect.annotateLogs({ event: "node warning" }))
          )
        }
        process.on("warning", listener)
        return listener
      }),
      () => effect,
      (listener) => Effect.sync(() => process.off("warning", listener))
    ))
