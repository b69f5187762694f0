/**
 * The config as the dashboard shows it: the file's dictionary with every secret as `***`. A
 * value is a secret when it is a `{ "secret": NAME }` reference, a `Redacted` or `Config` (a
 * TypeScript config's), anything under `auth` but its type and where it goes, any header's value,
 * any key that names a credential (token, password, key, secret...), and a URL's user info.
 * Functions and Schemas show as placeholders. Masking errs on the side of hiding.
 */
import { Config, Either, Redacted, Schema } from "effect"

const masked = "***"

/** Keys whose values are credentials wherever they appear... */
const credentialPattern = /token|secret|password|passwd|pwd|key|credential|authorization|cookie|session|signature/i
/** ...but for the config's own keys that merely contain such a word. */
const configKeys = new Set(["primary_key", "merge_key", "cursor_key", "token_url", "session_param"])
const credentialKey = (key: string): boolean => credentialPattern.test(key) && !configKeys.has(key.toLowerCase())

/** Under `auth`, the keys that say how, not what (`type: "bearer"`, `location: "header"`, `name: "X-API-Key"`). */
const authShape = new Set(["type", "location", "name", "paginator"])

/** `https://user:pass@host/x` → `https://***@host/x`. */
const maskUrl = (text: string): string => {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text
  const parsed = Either.try(() => new URL(text))
  if (Either.isLeft(parsed) || (parsed.right.username === "" && parsed.right.password === "")) return text
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, `$1${masked}@`)
}

const isSecretReference = (value: object): boolean => {
  const keys = Object.keys(value)
  return keys.length === 1 && keys[0] === "secret"
}

const maxDepth = 40

const mask = (value: unknown, context: "plain" | "auth" | "secret", depth: number): unknown => {
  if (depth > maxDepth) return "…"
  if (Redacted.isRedacted(value) || Config.isConfig(value)) return masked
  // A Schema is a function too (a class): ask first.
  if (Schema.isSchema(value)) return "(Schema)"
  if (typeof value === "function") return "(function)"
  if (value === null || value === undefined || typeof value === "boolean" || typeof value === "number") {
    return context === "secret" && value !== null && value !== undefined ? masked : value ?? null
  }
  if (typeof value === "string") return context === "secret" ? masked : maskUrl(value)
  if (typeof value !== "object") return context === "secret" ? masked : String(value)
  if (Array.isArray(value)) return value.map((v) => mask(v, context, depth + 1))
  if (isSecretReference(value)) return masked
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    const next = context === "secret" || credentialKey(key) || key === "headers"
      ? "secret"
      : key === "auth"
      ? "auth"
      : context === "auth" && !authShape.has(key)
      ? "secret"
      : context === "auth"
      ? "plain"
      : context
    out[key] = key === "headers" && typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).map(([h, hv]) => [h, mask(hv, "secret", depth + 1)]))
      : mask(v, next, depth + 1)
  }
  return out
}

/** The config with its secrets as `***` (see the module comment). */
export const maskConfig = (input: unknown): unknown => mask(input, "plain", 0)
