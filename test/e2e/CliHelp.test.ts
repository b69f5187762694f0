/**
 * `--help` and usage errors through the real CLI, its output piped: every option says what it
 * does and its default, nothing generic or useless is advertised, and no ANSI code is written
 * when the output is not a terminal or NO_COLOR is set.
 */
import { describe, expect, it } from "@effect/vitest"
import { runCli } from "../support/cli.js"

const commands = ["run", "check", "schema", "demo", "init"]

/** Each `--option` (or `<argument>`) heading of a help text with the paragraph under it. */
const entries = (help: string): ReadonlyArray<readonly [string, string]> => {
  const blocks = help.split(/\n\s*\n/).map((b) => b.trim())
  const out: Array<readonly [string, string]> = []
  blocks.forEach((block, i) => {
    if (/^(\(?-|<)/.test(block)) out.push([block, blocks[i + 1] ?? ""])
  })
  return out
}

describe("help and usage errors", () => {
  it("the program's help lists the commands and the options that work everywhere", async () => {
    const result = await runCli(["--help"])
    expect(result.code).toBe(0)
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`^${command}$`, "m"))
    expect(result.stdout).toContain("--log-level")
    expect(result.stdout).toContain("--completions bash | fish | zsh")
    expect(result.stdout).toContain("NO_COLOR")
    expect(result.stdout).not.toContain("--wizard")
  })

  it("without a command, the program's help goes to stderr and the exit code says usage error", async () => {
    const result = await runCli([])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("COMMANDS")
  })

  for (const command of commands) {
    it(`${command} --help: every option and argument says what it does, and every option its default`, async () => {
      const result = await runCli([command, "--help"])
      expect(result.code).toBe(0)
      const help = result.stdout
      expect(help).not.toContain("A user-defined piece of text")
      expect(help).not.toContain("This setting is optional")
      expect(help).not.toContain("A true or false value")
      expect(help).not.toContain("--wizard")
      const found = entries(help)
      expect(found.length).toBeGreaterThan(4)
      for (const [heading, text] of found) {
        expect(text.length, heading).toBeGreaterThan(10)
        if (!heading.startsWith("<") && heading !== "-h, --help" && heading !== "--version" && !heading.startsWith("--completions")) {
          expect(text, heading).toMatch(/default/)
        }
      }
      expect(help).toContain("--quiet")
      expect(help).toContain("--log-format pretty | json")
    })
  }

  it("no ANSI codes when stdout and stderr are pipes, or with NO_COLOR", async () => {
    for (const env of [{}, { NO_COLOR: "1" }]) {
      for (const args of [["--help"], ["run", "--help"], ["run", "x.json", "--no-such-option"], ["frobnicate"], ["run"]]) {
        const result = await runCli(args, { env })
        expect(result.stdout + result.stderr, args.join(" ")).not.toContain("\x1b")
        expect(result.stdout + result.stderr, args.join(" ")).not.toBe("")
      }
    }
  })

  it("an unknown option or command is a usage error: exit 2, naming it", async () => {
    const option = await runCli(["check", "examples/analytics/analytics.json", "--no-such-option"])
    expect(option.code).toBe(2)
    expect(option.stderr).toContain("--no-such-option")
    const command = await runCli(["frobnicate"])
    expect(command.code).toBe(2)
    expect(command.stderr).toContain("Invalid subcommand for rest-connector - use one of 'run'")
  })

  it("--version prints the version", async () => {
    const result = await runCli(["--version"])
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe("0.1.0")
  })
})
