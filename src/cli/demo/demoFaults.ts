/**
 * Fault injection: rate limits, transient errors, malformed pages and arbitrary injected answers.
 * Fault counting uses the number of authenticated requests received so far (1-based).
 */
import type { DemoResource } from "./demoResources.js"

export interface DemoMalformedPage {
  readonly resource: DemoResource
  /** 1-based page number, counted with the request's `limit` (`offset / limit + 1`). */
  readonly page: number
  /** How many times to answer it malformed (default: always). */
  readonly times?: number
}

export interface DemoFailure {
  /** Only requests for this resource (default: any). */
  readonly resource?: DemoResource
  /** Only this 1-based page (default: any). */
  readonly page?: number
  /** Only once this many authenticated requests have been received (default 0). */
  readonly afterRequests?: number
  readonly status: number
  /** Response body (default `{"error":"injected failure"}`). */
  readonly body?: string
  /** How many times it fires (default: always). */
  readonly times?: number
}

export interface DemoFaults {
  /** Every Nth authenticated request answers `429` with `Retry-After: 1`. */
  readonly rateLimitEvery?: number | undefined
  /** Every Nth authenticated request answers `503` (a 429 wins when both apply). */
  readonly transientErrorEvery?: number | undefined
  /** That page answers `200` with a body that is not valid JSON. */
  readonly malformedPageAt?: DemoMalformedPage | undefined
  /** Arbitrary injected responses, checked in order after the rate-limit/transient faults. */
  readonly failures?: ReadonlyArray<DemoFailure> | undefined
}

interface Remaining<Spec> {
  readonly spec: Spec
  /** How many more times the fault fires. */
  left: number
}

/** The fault settings of one server; `set` replaces them while it runs. */
export class FaultInjector {
  private rateLimitEvery: number | undefined
  private transientErrorEvery: number | undefined
  private malformed: Remaining<DemoMalformedPage> | undefined
  private failures: Array<Remaining<DemoFailure>> = []

  constructor(faults: DemoFaults) {
    this.set(faults)
  }

  /** Replaces the fault settings given (keys present in `faults`; `undefined` turns one off). */
  set(faults: DemoFaults): void {
    if ("rateLimitEvery" in faults) this.rateLimitEvery = faults.rateLimitEvery
    if ("transientErrorEvery" in faults) this.transientErrorEvery = faults.transientErrorEvery
    if ("malformedPageAt" in faults) {
      const spec = faults.malformedPageAt
      this.malformed = spec === undefined ? undefined : { spec, left: spec.times ?? Infinity }
    }
    if ("failures" in faults) this.failures = (faults.failures ?? []).map((spec) => ({ spec, left: spec.times ?? Infinity }))
  }

  /** Whether the `n`-th authenticated request answers `429`. */
  isRateLimited(n: number): boolean {
    return this.rateLimitEvery !== undefined && this.rateLimitEvery > 0 && n % this.rateLimitEvery === 0
  }

  /** Whether the `n`-th authenticated request answers `503` (checked after `isRateLimited`). */
  isTransientError(n: number): boolean {
    return this.transientErrorEvery !== undefined && this.transientErrorEvery > 0 && n % this.transientErrorEvery === 0
  }

  /** The first injected failure that answers this request, used up once; checked in order. */
  takeFailure(resource: DemoResource, page: number, n: number): DemoFailure | undefined {
    for (const f of this.failures) {
      const s = f.spec
      if (
        f.left > 0 && (s.resource === undefined || s.resource === resource) && (s.page === undefined || s.page === page) &&
        n > (s.afterRequests ?? 0)
      ) {
        f.left--
        return s
      }
    }
    return undefined
  }

  /** Whether this page answers malformed now, used up once. */
  takeMalformed(resource: DemoResource, page: number): boolean {
    const malformed = this.malformed
    if (malformed === undefined || malformed.left <= 0 || malformed.spec.resource !== resource || malformed.spec.page !== page) {
      return false
    }
    malformed.left--
    return true
  }
}
