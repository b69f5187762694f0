/** What a running demo server holds: its dataset settings, fault settings and request counters. */
import type { FaultInjector } from "./demoFaults.js"
import { type DemoResource, perResource } from "./demoResources.js"

export interface DemoApiStats {
  /** Every request received, including rejected ones. */
  readonly requests: number
  /** Requests per URL path (without query), e.g. `/v1/codesnippets`. */
  readonly byPath: Readonly<Record<string, number>>
  /** Pages served successfully (status 200, valid JSON), per resource. */
  readonly pages: Readonly<Record<DemoResource, number>>
  /** Records served in those pages, per resource. */
  readonly records: Readonly<Record<DemoResource, number>>
  readonly rateLimited: number
  readonly transientErrors: number
  readonly unauthorized: number
  readonly badRequests: number
  readonly malformed: number
  readonly injectedFailures: number
}

export interface MutableStats {
  requests: number
  byPath: Record<string, number>
  pages: Record<DemoResource, number>
  records: Record<DemoResource, number>
  rateLimited: number
  transientErrors: number
  unauthorized: number
  badRequests: number
  malformed: number
  injectedFailures: number
}

export const emptyStats = (): MutableStats => ({
  requests: 0,
  byPath: {},
  pages: perResource(0),
  records: perResource(0),
  rateLimited: 0,
  transientErrors: 0,
  unauthorized: 0,
  badRequests: 0,
  malformed: 0,
  injectedFailures: 0
})

/** A copy of the counters, safe to hand out. */
export const snapshotStats = (stats: MutableStats): DemoApiStats => ({
  ...stats,
  byPath: { ...stats.byPath },
  pages: { ...stats.pages },
  records: { ...stats.records }
})

/** The mutable state of one server, read and counted by its request handler. */
export class DemoServerState {
  stats: MutableStats = emptyStats()
  /** Authenticated requests received so far; fault counting is 1-based on it. */
  authenticated = 0

  constructor(
    readonly token: string,
    readonly rows: Record<DemoResource, number>,
    public version: number,
    readonly faults: FaultInjector
  ) {}
}
