/** Client-side helpers for tests of the parity API: starting it per test, and reading its answers. */
import { afterEach } from "vitest"
import { type ParityApi, type ParityApiOptions, startParityApi } from "./parityApi.js"
import { isObject } from "./parityHttp.js"

/** Registers an `afterEach` that closes every API started in the test; returns the starter. */
export const useParityApi = (): (options?: ParityApiOptions) => Promise<ParityApi> => {
  const started: Array<ParityApi> = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((api) => api.close()))
  })
  return async (options) => {
    const api = await startParityApi(options)
    started.push(api)
    return api
  }
}

export { isObject }

export const bodyOf = async (res: Response): Promise<unknown> => {
  const text = await res.text()
  return text === "" ? undefined : JSON.parse(text)
}

export const objectOf = async (res: Response): Promise<Record<string, unknown>> => {
  const body = await bodyOf(res)
  if (!isObject(body)) throw new Error(`not an object: ${JSON.stringify(body)}`)
  return body
}

export const arrayOf = async (res: Response): Promise<ReadonlyArray<unknown>> => {
  const body = await bodyOf(res)
  if (!Array.isArray(body)) throw new Error(`not an array: ${JSON.stringify(body)}`)
  return body
}

export const listAt = (o: Record<string, unknown>, key: string): ReadonlyArray<unknown> => {
  const v = o[key]
  if (!Array.isArray(v)) throw new Error(`${key} is not a list`)
  return v
}

export const field = (u: unknown, key: string): unknown => (isObject(u) ? u[key] : undefined)

/** Parses an RFC 8288 Link header into rel → URL. */
export const parseLink = (header: string | null): Record<string, string> => {
  const out: Record<string, string> = {}
  if (header === null) return out
  for (const part of header.split(",")) {
    const m = /^\s*<([^>]+)>;\s*rel="([^"]+)"\s*$/.exec(part)
    if (m === null) throw new Error(`bad Link part: ${part}`)
    out[m[2]] = m[1]
  }
  return out
}
