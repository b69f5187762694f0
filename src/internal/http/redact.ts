/**
 * Keeps secrets out of everything we print: URLs lose sensitive query values (dlt's list
 * of names, plus any value that is one of the config's secrets), and messages lose any
 * secret value they might quote.
 */
import { Redacted } from "effect"
import { type Secret, secretValues } from "../config/secrets.js"
import type { SourceSpec, Value } from "../config/spec.js"

const sensitiveParams = new Set([
  "api_key",
  "apikey",
  "api-key",
  "token",
  "key",
  "access_token",
  "access-token",
  "secret",
  "password",
  "pwd",
  "client_secret",
  "refresh_token",
  "auth",
  "authorization",
  "signature",
  "sig"
])

export interface Redactor {
  readonly url: (url: string) => string
  readonly text: (text: string) => string
  /**
   * Adds a credential known only at run time (an OAuth2 access token, what a custom auth put
   * on a request): from then on it is scrubbed like the config's own secrets.
   */
  readonly learn: (secret: string) => void
}

/** Learned values shorter than this are not secrets worth scrubbing everywhere (`json`, `1`). */
const minLearnedLength = 6

export const make = (secrets: ReadonlyArray<string>): Redactor => {
  const values = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length)
  const learn = (secret: string) => {
    if (secret.length < minLearnedLength || values.includes(secret)) return
    values.push(secret)
    values.sort((a, b) => b.length - a.length)
  }
  const text = (input: string): string => {
    let out = input
    for (const value of values) {
      if (out.includes(value)) out = out.split(value).join("***")
      const encoded = encodeURIComponent(value)
      if (encoded !== value && out.includes(encoded)) out = out.split(encoded).join("***")
    }
    return out
  }
  const url = (input: string): string => {
    try {
      const parsed = new URL(input)
      if (parsed.username !== "" || parsed.password !== "") {
        parsed.username = parsed.username === "" ? "" : "***"
        parsed.password = parsed.password === "" ? "" : "***"
      }
      const params = new URLSearchParams()
      for (const [key, value] of parsed.searchParams) {
        params.append(key, sensitiveParams.has(key.toLowerCase()) || values.includes(value) ? "***" : value)
      }
      parsed.search = params.toString()
      return text(parsed.toString())
    } catch {
      return text(input)
    }
  }
  return { url, text, learn }
}

/** Scrubs nothing (and learns nothing): for code paths that have no source. */
export const none: Redactor = { url: (u) => u, text: (t) => t, learn: () => {} }

const bySource = new WeakMap<SourceSpec<Secret>, Redactor>()

/**
 * The one redactor of a source: its extraction and its ApiClient share it, so a token the
 * client learns is scrubbed from the errors extraction makes too. Besides the config's secrets
 * it knows the forms they take on the wire (HTTP Basic's base64 `user:password`).
 */
export const forSource = (source: SourceSpec<Secret>): Redactor => {
  const known = bySource.get(source)
  if (known !== undefined) return known
  const redactor = make([...secretValues(source), ...wireForms(source), ...plainCredentials(source)])
  bySource.set(source, redactor)
  return redactor
}

/** Header names that carry a credential even when the config writes its value in plain text. */
const sensitiveHeader = /authorization|cookie|token|secret|api[-_]?key|password/i

/**
 * Plain config values sent under a sensitive name (`params: { api_key: "..." }`, a literal
 * `Authorization` header): the URL redaction hides them by name, and a server echoing them in an
 * error body must not get them printed either.
 */
const plainCredentials = (source: SourceSpec<Secret>): ReadonlyArray<string> => {
  const out: Array<string> = []
  const collect = (values: Readonly<Record<string, Value<Secret>>>, sensitive: (name: string) => boolean) => {
    for (const [name, value] of Object.entries(values)) {
      if (value._tag === "Plain" && value.value.length >= 4 && sensitive(name)) out.push(value.value)
    }
  }
  const isSensitiveParam = (name: string) => sensitiveParams.has(name.toLowerCase())
  const isSensitiveHeader = (name: string) => sensitiveHeader.test(name)
  collect(source.client.headers, isSensitiveHeader)
  for (const r of source.resources) {
    collect(r.params, isSensitiveParam)
    collect(r.headers, isSensitiveHeader)
  }
  return out
}

const wireForms = (source: SourceSpec<Secret>): ReadonlyArray<string> => {
  const auths = [source.client.auth, ...source.resources.map((r) => r.auth)]
  const out: Array<string> = []
  for (const auth of auths) {
    if (auth !== undefined && auth !== null && auth._tag === "HttpBasic") {
      out.push(Buffer.from(`${Redacted.value(auth.username)}:${Redacted.value(auth.password)}`).toString("base64"))
    }
  }
  return out
}
