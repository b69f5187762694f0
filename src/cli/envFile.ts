/**
 * Secrets (and any other setting read through Effect's Config, such as DATABASE_URL) from a
 * `.env` file: `--env-file PATH`, else `.env` in the working directory when there is one. The
 * file is parsed by Node's own dotenv parser (`util.parseEnv`) and offered through the
 * ConfigProvider behind the environment's: a variable set in the environment wins over the
 * file. process.env is never changed.
 */
import * as Options from "@effect/cli/Options"
import { ConfigProvider, Data, Effect, Option } from "effect"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import * as util from "node:util"

/** A `.env` file that cannot be read. */
export class EnvFileError extends Data.TaggedError("EnvFileError")<{ readonly file: string; readonly detail: string }> {
  override get message(): string {
    return `cannot read the env file ${this.file}: ${this.detail}`
  }
}

export const envFileOption = Options.file("env-file", { exists: "yes" }).pipe(
  Options.withDescription(
    "a dotenv file (NAME=value lines) whose values secrets and DATABASE_URL are read from; " +
      "environment variables win over it (default: .env in the working directory, if there is one)"
  ),
  Options.optional
)

/** `NAME=value` lines as a map, by Node's dotenv parser. */
export const parseEnvFile = (file: string): Effect.Effect<ReadonlyMap<string, string>, EnvFileError> =>
  Effect.try({
    try: () => {
      if (typeof util.parseEnv !== "function") throw new Error("reading it needs Node 20.12 or later (util.parseEnv)")
      const values = util.parseEnv(readFileSync(file, "utf8"))
      const out = new Map<string, string>()
      for (const [name, value] of Object.entries(values)) if (value !== undefined) out.set(name, value)
      return out
    },
    catch: (e) => new EnvFileError({ file, detail: e instanceof Error ? e.message : String(e) })
  })

/** The environment first, then the file's values. */
export const providerWith = (values: ReadonlyMap<string, string>): ConfigProvider.ConfigProvider =>
  ConfigProvider.fromEnv().pipe(
    // The same path delimiter as the environment's, so nested Configs read the same names.
    ConfigProvider.orElse(() => ConfigProvider.fromMap(new Map(values), { pathDelim: "_" }))
  )

/** The file a command reads: `--env-file`, else `./.env` if it exists, else none. */
export const envFileFor = (flag: Option.Option<string>, cwd: string = process.cwd()): string | undefined =>
  Option.getOrElse(flag, () => {
    const fallback = path.join(cwd, ".env")
    return existsSync(fallback) ? fallback : undefined
  })

/** Runs `effect` with the env file's values behind the environment's. */
export const withEnvFile = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: { readonly envFile: Option.Option<string> }
): Effect.Effect<A, E | EnvFileError, R> => {
  const file = envFileFor(options.envFile)
  return file === undefined
    ? effect
    : Effect.flatMap(parseEnvFile(file), (values) => Effect.withConfigProvider(effect, providerWith(values)))
}
