/** A failed page request, with everything needed to find it: resource, page, method and URL. */
import { Data } from "effect"

export type ApiErrorReason =
  | "Status"
  | "RetriesExhausted"
  | "Transport"
  | "Timeout"
  | "MalformedJson"
  | "MalformedBody"
  | "ResponseAction"
  | "Auth"
  | "TooLarge"
  | "TooManyRedirects"

/** A failed page request. `url` is always redacted. */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly reason: ApiErrorReason
  readonly resource: string
  readonly method: string
  readonly url: string
  readonly page: number
  readonly status?: number | undefined
  readonly attempts: number
  readonly detail: string
}> {
  override get message(): string {
    const status = this.status === undefined ? "" : ` HTTP ${this.status}`
    const tries = this.attempts > 1 ? ` after ${this.attempts} attempts` : ""
    return `resource '${this.resource}', page ${this.page + 1}: ${this.method} ${this.url} failed${tries}:${status} ${this.detail}`
      .trimEnd()
  }
}
