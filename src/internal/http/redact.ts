/**
 * Keeps secrets out of everything we print: URLs lose sensitive query values (dlt's list
 * of names, plus any value that is one of the config's secrets), and messages lose any
 * secret value they might quote.
 */
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
}

export const make = (secrets: ReadonlyArray<string>): Redactor => {
  const values = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length)
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
  return { url, text }
}

export const none: Redactor = make([])
