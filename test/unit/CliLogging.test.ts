/**
 * How the CLI writes its stderr lines: plain text with `warning:`/`error:` prefixes (colour
 * only on a terminal without NO_COLOR), or one JSON object per line; secrets scrubbed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Logger, LogLevel } from "effect"
import { consoleErrorLine, formatEntry, outputSettings, stripAnsi, withNodeWarnings } from "../../src/cli/logging.js"
import { remember, scrub } from "../../src/cli/redaction.js"

const plain = outputSettings([], {}, { stdout: false, stderr: false })
const json = outputSettings(["run", "x.yaml", "--log-format", "json"], {}, { stdout: false, stderr: false })
const date = new Date("2026-01-02T03:04:05.678Z")
const entry = (level: LogLevel.LogLevel, message: unknown, annotations: ReadonlyArray<readonly [string, unknown]> = []) => ({
  level,
  message,
  annotations,
  cause: Cause.empty,
  date
})

describe("CLI log lines", () => {
  it("plain text: info as it is, warnings and errors prefixed, no ANSI codes off a terminal", () => {
    expect(formatEntry(plain, entry(LogLevel.Info, "a: 3 rows"))).toBe("a: 3 rows")
    expect(formatEntry(plain, entry(LogLevel.Warning, "slow"))).toBe("warning: slow")
    expect(formatEntry(plain, entry(LogLevel.Error, "boom"))).toBe("error: boom")
    expect(formatEntry(plain, entry(LogLevel.Debug, ["GET", "/x"]))).toBe("GET /x")
  })

  it("colour only on a terminal, and never with NO_COLOR set", () => {
    const tty = outputSettings([], {}, { stdout: true, stderr: true })
    expect(formatEntry(tty, entry(LogLevel.Error, "boom"))).toContain("\x1b[")
    const noColor = outputSettings([], { NO_COLOR: "1" }, { stdout: true, stderr: true })
    expect(noColor).toMatchObject({ stdoutColor: false, stderrColor: false })
    expect(formatEntry(noColor, entry(LogLevel.Error, "boom"))).toBe("error: boom")
    // An empty NO_COLOR does not count (no-color.org).
    expect(outputSettings([], { NO_COLOR: "" }, { stdout: true, stderr: true }).stderrColor).toBe(true)
  })

  it("--log-format json (or --log-format=json): one JSON object with time, level, message and the annotations", () => {
    expect(outputSettings(["--log-format=json"], {}, { stdout: false, stderr: false }).format).toBe("json")
    const line = formatEntry(json, entry(LogLevel.Info, "retrying", [["resource", "items"], ["retry", 2], ["level", "not this"]]))
    expect(JSON.parse(line)).toEqual({ time: "2026-01-02T03:04:05.678Z", level: "info", message: "retrying", resource: "items", retry: 2 })
    expect(line).not.toContain("\n")
  })

  it("a failure's cause follows its message", () => {
    const withCause = { ...entry(LogLevel.Error, "failed"), cause: Cause.fail(new Error("disk full")) }
    expect(formatEntry(plain, withCause)).toMatch(/^error: failed\n.*disk full/s)
    expect(JSON.parse(formatEntry(json, withCause)).cause).toContain("disk full")
  })

  it("secrets the CLI knows are scrubbed from messages and annotations", () => {
    remember({ url: (u) => u, text: (t) => t.replaceAll("s3cr3t-token", "***"), learn: () => {} })
    expect(formatEntry(plain, entry(LogLevel.Error, "sent s3cr3t-token"))).toBe("error: sent ***")
    expect(formatEntry(json, entry(LogLevel.Info, "x", [["url", "https://a.test/?k=s3cr3t-token"]]))).not.toContain("s3cr3t-token")
    expect(formatEntry(plain, entry(LogLevel.Error, "postgres://me:pw@db/x"))).toBe("error: postgres://me:***@db/x")
  })

  // A config can put a 1 MB name into an error message; the URL-password pattern once rescanned
  // such a run of letters from every position and the CLI hung for minutes before exiting.
  it("a 1 MB run of letters passes through the scrubber untouched, and a database URL after it is still scrubbed", () => {
    const run = "a".repeat(1_000_000)
    expect(scrub(`name '${run}'`)).toBe(`name '${run}'`)
    expect(scrub(`${run} postgres://me:pw@db/x`)).toBe(`${run} postgres://me:***@db/x`)
  })

  it("@effect/cli's own error text loses its ANSI codes off a terminal, and is a JSON error entry with json", () => {
    const ansi = "\x1b[0;1mReceived unknown argument: '--nope'\x1b[0m\n"
    expect(stripAnsi(ansi)).toBe("Received unknown argument: '--nope'\n")
    expect(consoleErrorLine(plain, ansi)).toBe("Received unknown argument: '--nope'\n")
    expect(JSON.parse(consoleErrorLine(json, ansi))).toMatchObject({ level: "error", message: "Received unknown argument: '--nope'" })
  })

  it.live("Node's process warnings become debug log lines through the logger in place", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const capture = Logger.make(({ logLevel, message }) => {
        lines.push(`${logLevel.label} ${String(message)}`)
      })
      const listeners = process.listenerCount("warning")
      yield* Effect.sync(() => process.emitWarning("old API is deprecated", "DeprecationWarning")).pipe(
        Effect.zipRight(Effect.sleep("20 millis")),
        withNodeWarnings,
        Logger.withMinimumLogLevel(LogLevel.Debug),
        Effect.provide(Logger.replace(Logger.defaultLogger, capture))
      )
      expect(lines).toEqual(["DEBUG node: DeprecationWarning: old API is deprecated"])
      expect(process.listenerCount("warning"), "its listener is removed afterwards").toBe(listeners)
    }))
})
