/**
 * Header names, which dlt lets a config template (`"X-{incremental.cursor_path}": ...`): a name is
 * checked when the config is read if it is plain, and after it is filled in otherwise, so a bad
 * one is an error naming the header instead of the HTTP client's `UND_ERR_INVALID_ARG`.
 */
import { Either } from "effect"
import * as Template from "./template.js"

/** RFC 9110 token characters: what a header name may be made of. */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export const isHeaderName = (name: string): boolean => token.test(name)

const invalid = (name: string, source: string) =>
  `${JSON.stringify(name)}${name === source ? "" : ` (from ${JSON.stringify(source)})`} is not a valid HTTP header name: ` +
  "letters, digits and !#$%&'*+.^_`|~- only, no spaces or colons"

/** A config's header name: why it is wrong, when it is wrong without any placeholder filled in. */
export const checkHeaderName = (source: string): string | undefined => {
  if (!source.includes("{") && !source.includes("}")) return isHeaderName(source) ? undefined : invalid(source, source)
  const parsed = Template.parse(source)
  if (Either.isLeft(parsed)) return parsed.left.message
  const plain = parsed.right.parts.every((p) => p._tag === "Text")
  if (!plain) return undefined
  const name = parsed.right.parts.map((p) => (p._tag === "Text" ? p.text : "")).join("")
  return isHeaderName(name) ? undefined : invalid(name, source)
}

/** A header name with its placeholders filled in for one request. */
export const renderHeaderName = (
  source: string,
  context: Template.TemplateContext
): Either.Either<string, Template.TemplateError> => {
  if (!source.includes("{") && !source.includes("}")) return Either.right(source)
  return Either.flatMap(
    Either.mapLeft(Template.parse(source), (e) => new Template.TemplateError({ message: e.message })),
    (template) =>
      Either.flatMap(Template.render(template, context), (name) =>
        isHeaderName(name) ? Either.right(name) : Either.left(new Template.TemplateError({ message: invalid(name, source) })))
  )
}
