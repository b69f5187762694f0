/** The options every command takes (logging, the env file), and the wrapper that honours them. */
import type * as Command from "@effect/cli/Command"
import * as CommandImpl from "@effect/cli/Command"
import type { Option } from "effect"
import { type EnvFileError, envFileOption, withEnvFile } from "./envFile.js"
import { logOptions, withNodeWarnings, withVerbosity } from "./logging.js"

export const commonOptions = { ...logOptions, envFile: envFileOption }

/** A command at the log level its `--quiet`/`--verbose` ask for, reading settings from its env file too. */
export const withCommonOptions = <
  Name extends string,
  R,
  E,
  A extends { readonly verbosity: "quiet" | "default" | "verbose"; readonly envFile: Option.Option<string> }
>(command: Command.Command<Name, R, E, A>): Command.Command<Name, R, E | EnvFileError, A> =>
  CommandImpl.transformHandler(command, (effect, args) => withVerbosity(withNodeWarnings(withEnvFile(effect, args)), args))
