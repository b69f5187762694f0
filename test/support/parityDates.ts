/** Timestamps of the parity API's records, written as the real APIs write them. */

export const HOUR = 3_600_000

/** RFC 3339 UTC without milliseconds when they are zero, as GitHub writes them. */
export const isoOf = (ms: number): string => new Date(ms).toISOString().replace(/\.000Z$/, "Z")

export const isoFrom = (at: string | Date): string => {
  const ms = typeof at === "string" ? Date.parse(at) : at.getTime()
  if (Number.isNaN(ms)) throw new Error(`invalid date: ${String(at)}`)
  return isoOf(ms)
}

/** The latest of some RFC 3339 timestamps, in epoch milliseconds (0 for none). */
export const latest = (dates: ReadonlyArray<string>): number => dates.reduce((m, d) => Math.max(m, Date.parse(d)), 0)
