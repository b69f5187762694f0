/**
 * `--help`, written from the commands' own definitions: each option with what it does and its
 * default, without @effect/cli's generic lines ("A user-defined piece of text.", "This
 * setting is optional.") and without its built-ins that are no use here (`--wizard`).
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Usage from "@effect/cli/Usage"
import { Array as Arr, HashSet } from "effect"
import { stripAnsi } from "./logging.js"

export interface Program {
  readonly name: string
  readonly version: string
  readonly description: string
  /** The subcommands, in the order help lists them. */
  readonly commands: ReadonlyArray<Descriptor.Command<unknown>>
}

const config = CliConfig.make({ showBuiltIns: false })

const nameOf = (command: Descriptor.Command<unknown>): string => HashSet.values(Descriptor.getNames(command)).next().value ?? ""

/** A doc's text, without styling. */
const textOf = (doc: HelpDoc.HelpDoc): string => stripAnsi(HelpDoc.toAnsiText(doc)).trim()

/** The blocks of a sequence, in order. */
const blocksOf = (doc: HelpDoc.HelpDoc): ReadonlyArray<HelpDoc.HelpDoc> =>
  HelpDoc.isSequence(doc) ? [...blocksOf(doc.left), ...blocksOf(doc.right)] : HelpDoc.isEmpty(doc) ? [] : [doc]

/** @effect/cli's note on every option that has a default; the descriptions say the default themselves. */
const optionalNote = /^This setting is optional\./

/** An option's or argument's help without the type's generic line (always the first block) and the note. */
const described = (block: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  const [, ...rest] = blocksOf(block)
  return HelpDoc.p(rest.map(textOf).filter((text) => !optionalNote.test(text)).join(" "))
}

const list = (definitions: ReadonlyArray<[Span.Span, HelpDoc.HelpDoc]>): HelpDoc.HelpDoc =>
  Arr.isNonEmptyReadonlyArray(definitions) ? HelpDoc.descriptionList(definitions) : HelpDoc.empty

const cleaned = (doc: HelpDoc.HelpDoc): HelpDoc.HelpDoc => {
  if (HelpDoc.isSequence(doc)) return HelpDoc.sequence(cleaned(doc.left), cleaned(doc.right))
  if (HelpDoc.isDescriptionList(doc)) {
    return list(doc.definitions.map(([span, block]): [Span.Span, HelpDoc.HelpDoc] => [span, described(block)]))
  }
  return doc
}

/** The text after a command's DESCRIPTION header. */
const descriptionOf = (command: Descriptor.Command<unknown>): string => {
  const blocks = blocksOf(Descriptor.getHelp(command, config))
  const at = blocks.findIndex((b) => HelpDoc.isHeader(b) && textOf(b) === "DESCRIPTION")
  return at < 0 || blocks[at + 1] === undefined ? "" : textOf(blocks[at + 1])
}

const globalOptions = HelpDoc.sequence(
  HelpDoc.h1("GLOBAL OPTIONS"),
  HelpDoc.descriptionList([
    [Span.text("-h, --help"), HelpDoc.p("show this help, or a command's (rest-connector <command> --help)")],
    [Span.text("--version"), HelpDoc.p("print the version")],
    [
      Span.text("--log-level all | trace | debug | info | warning | error | fatal | none"),
      HelpDoc.p("the least important log lines shown on stderr (default: info; --quiet is error, --verbose debug)")
    ],
    [Span.text("--completions bash | fish | zsh"), HelpDoc.p("print a shell completion script for rest-connector and exit")]
  ])
)

const environment = HelpDoc.sequence(
  HelpDoc.h1("ENVIRONMENT"),
  HelpDoc.descriptionList([
    [Span.text("NO_COLOR"), HelpDoc.p("set (not empty): no ANSI colour codes (there are none either when output is not a terminal)")]
  ])
)

const render = (doc: HelpDoc.HelpDoc): string => HelpDoc.toAnsiText(doc)

/** The program's help: its commands, and the options every command takes. */
export const programHelp = (program: Program): string =>
  render(HelpDoc.blocks([
    HelpDoc.h1(`${program.name} ${program.version}`),
    HelpDoc.p(program.description),
    HelpDoc.h1("USAGE"),
    HelpDoc.p(`$ ${program.name} <command> [options]`),
    HelpDoc.p(`Each command's options: ${program.name} <command> --help`),
    HelpDoc.h1("COMMANDS"),
    list(program.commands.map((c): [Span.Span, HelpDoc.HelpDoc] => [Span.text(nameOf(c)), HelpDoc.p(descriptionOf(c))])),
    globalOptions,
    environment
  ]))

/** One command's help: usage, arguments and options (each with its default), then the global options. */
export const commandHelp = (program: Program, command: Descriptor.Command<unknown>): string => {
  const usage = Usage.enumerate(Descriptor.getUsage(command), config).map((span) =>
    HelpDoc.p(`$ ${program.name} ${stripAnsi(HelpDoc.toAnsiText(HelpDoc.p(span))).trim()}`)
  )
  const blocks = blocksOf(cleaned(Descriptor.getHelp(command, config)))
  const at = blocks.findIndex((b) => HelpDoc.isHeader(b) && textOf(b) === "DESCRIPTION")
  const body = at < 0 ? blocks : [...blocks.slice(0, at), ...blocks.slice(at + 2)]
  return render(HelpDoc.blocks([
    HelpDoc.h1(`${program.name} ${nameOf(command)}`),
    HelpDoc.p(descriptionOf(command)),
    HelpDoc.h1("USAGE"),
    ...usage,
    ...body,
    globalOptions,
    environment
  ]))
}

/**
 * The help `argv` asks for, if it does: `--help`/`-h` (a command's when one is named), or the
 * program's when no command is given at all.
 */
export const requestedHelp = (program: Program, args: ReadonlyArray<string>): { readonly text: string; readonly usageError: boolean } | undefined => {
  const command = program.commands.find((c) => args.includes(nameOf(c)))
  if (args.includes("--help") || args.includes("-h")) {
    return { text: command === undefined ? programHelp(program) : commandHelp(program, command), usageError: false }
  }
  return args.length === 0 ? { text: programHelp(program), usageError: true } : undefined
}
