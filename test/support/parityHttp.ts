/**
 * What every style of the parity API shares: the parsed request, the reply, the style interface
 * the router dispatches to, and small helpers for query params and auth headers.
 */

/** A request as the styles see it: body already read and parsed. */
export interface Req {
  readonly method: string
  readonly url: URL
  /** `http://127.0.0.1:<port>`, for absolute URLs in answers. */
  readonly origin: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
  readonly rawBody: string
  readonly contentType: string
}

export interface Reply {
  readonly status: number
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
  /** When set, sent as-is with content-type text/plain. */
  readonly text?: string
}

/** One API style, served under its own path prefix. */
export interface ParityStyle {
  /** e.g. `/github`; the style gets the rest of the path. */
  readonly prefix: string
  readonly handle: (req: Req, rest: string) => Reply
  /** Restores the data the options generate. */
  readonly reset: () => void
}

export const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Reply => ({ status, body, headers })

export const methodNotAllowed = (allow: string): Reply => json(405, { message: "Method Not Allowed" }, { allow })

export const range = (n: number, f: (i: number) => void) => {
  for (let i = 1; i <= n; i++) f(i)
}

/** A query param as a positive integer; `fallback` when absent; `undefined` when invalid. */
export const positiveInt = (url: URL, name: string, fallback: number): number | undefined => {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === "") return fallback
  if (!/^\d+$/.test(raw)) return undefined
  const n = Number(raw)
  return n >= 1 ? n : undefined
}

export const nonNegativeInt = (url: URL, name: string, fallback: number): number | undefined => {
  const raw = url.searchParams.get(name)
  if (raw === null || raw === "") return fallback
  return /^\d+$/.test(raw) ? Number(raw) : undefined
}

export const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

export const bearerOf = (headers: Readonly<Record<string, string>>): string | undefined => {
  const m = /^(?:bearer|token)\s+(.+)$/i.exec(headers["authorization"] ?? "")
  return m === null ? undefined : m[1].trim()
}
