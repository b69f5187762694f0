/**
 * The flaky style (`bases.flaky`): a `200` that carries an error body the first N times.
 * - `GET items` → the first `flakyFailures` times `200 {"error": "temporarily unavailable"}`,
 *   then `200 {"data": FlakyItem[]}`.
 */
import { json, methodNotAllowed, type ParityStyle, range, type Reply, type Req } from "./parityHttp.js"

export interface FlakyOptions {
  /** Flaky: how many requests get the 200-with-error body before real data. Default 2. */
  readonly flakyFailures?: number
  /** Flaky: number of items in the real answer. Default 5. */
  readonly flakyItems?: number
}

export interface FlakyItem {
  readonly id: number
  readonly value: string
}

export const flakyItemAt = (i: number): FlakyItem => ({ id: i, value: `value ${i}` })

export class FlakyStyle implements ParityStyle {
  readonly prefix = "/flaky"
  /** Answers that carried the error body since the last `resetCounters`. */
  errors = 0
  private remaining = 0
  private items = 0

  constructor(private readonly options: FlakyOptions) {
    this.reset()
  }

  readonly reset = (): void => {
    this.remaining = this.options.flakyFailures ?? 2
    this.items = this.options.flakyItems ?? 5
  }

  readonly resetCounters = (): void => {
    this.errors = 0
  }

  /** The next `n` requests get the error body. */
  readonly setFailures = (n: number): void => {
    this.remaining = n
  }

  readonly handle = (req: Req, rest: string): Reply => {
    if (rest !== "/items") return json(404, { message: "Not Found" })
    if (req.method !== "GET") return methodNotAllowed("GET")
    if (this.remaining > 0) {
      this.remaining--
      this.errors++
      return json(200, { error: "temporarily unavailable" })
    }
    const data: Array<FlakyItem> = []
    range(this.items, (i) => data.push(flakyItemAt(i)))
    return json(200, { data })
  }
}
