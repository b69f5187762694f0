import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as DataSelector from "../../src/internal/syntax/dataSelector.js"
import * as Incremental from "../../src/internal/extract/incremental.js"

const options = (over: Partial<Incremental.IncrementalOptions> = {}): Incremental.IncrementalOptions => ({
  cursorPath: DataSelector.unsafeParse("updated_at"),
  lastValueFunc: "max",
  onCursorValueMissing: "raise",
  rangeStart: "closed",
  rangeEnd: "open",
  primaryKey: ["id"],
  ...over
})

const filterOk = (run: Incremental.IncrementalRun, records: ReadonlyArray<unknown>, firstIndex = 0) => {
  const r = run.filter(records, firstIndex)
  if (Either.isLeft(r)) throw new Error(`expected the page to pass: ${r.left.message}`)
  return r.right
}

const filterErr = (run: Incremental.IncrementalRun, records: ReadonlyArray<unknown>, firstIndex = 0) => {
  const r = run.filter(records, firstIndex)
  if (Either.isRight(r)) throw new Error("expected the page to fail")
  return r.left
}

const idsOf = (records: ReadonlyArray<unknown>): ReadonlyArray<unknown> =>
  records.map((r) => (typeof r === "object" && r !== null && "id" in r ? r.id : undefined))

const rec = (id: number, updated_at: unknown) => ({ id, updated_at })

/** A run's state, which must exist. */
const stateOf = (run: Incremental.IncrementalRun): Incremental.IncrementalState => {
  const s = run.state()
  if (s === undefined) throw new Error("expected a state")
  return s
}

describe("Incremental", () => {
  it("first run: starts at initial_value, drops older records, tracks the max and the boundary records", () => {
    const run = Incremental.start(options({ initialValue: "2024-01-01T00:00:00Z" }), undefined)
    assert.deepStrictEqual(run.placeholders, {
      start_value: "2024-01-01T00:00:00Z",
      initial_value: "2024-01-01T00:00:00Z",
      last_value: "2024-01-01T00:00:00Z",
      end_value: undefined
    })
    const page1 = filterOk(run, [rec(1, "2023-12-31T23:59:59Z"), rec(2, "2024-01-01T00:00:00Z"), rec(3, "2024-01-02T00:00:00Z")])
    assert.deepStrictEqual(idsOf(page1.records), [2, 3])
    assert.isFalse(page1.stop)
    const page2 = filterOk(run, [rec(4, "2024-01-03T00:00:00Z"), rec(5, "2024-01-03T00:00:00Z"), rec(6, "2024-01-02T12:00:00Z")], 3)
    assert.deepStrictEqual(idsOf(page2.records), [4, 5, 6])
    const state = stateOf(run)
    assert.strictEqual(state.lastValue, "2024-01-03T00:00:00Z")
    assert.strictEqual(state.initialValue, "2024-01-01T00:00:00Z")
    assert.strictEqual(state.uniqueHashes.length, 2) // records 4 and 5
    assert.deepStrictEqual(JSON.parse(JSON.stringify(state)), state) // JSON-serializable
  })

  it("second run: starts at the stored value, drops boundary records already loaded, keeps new ones", () => {
    const first = Incremental.start(options({ initialValue: "2024-01-01T00:00:00Z" }), undefined)
    filterOk(first, [rec(1, "2024-01-02T00:00:00Z"), rec(2, "2024-01-03T00:00:00Z")])
    const stored = Incremental.parseState(JSON.parse(JSON.stringify(first.state())))
    assert.isDefined(stored)

    const second = Incremental.start(options({ initialValue: "2024-01-01T00:00:00Z" }), stored)
    assert.strictEqual(second.placeholders.start_value, "2024-01-03T00:00:00Z")
    assert.strictEqual(second.placeholders.initial_value, "2024-01-01T00:00:00Z")
    const page = filterOk(second, [
      rec(1, "2024-01-02T00:00:00Z"), // older
      rec(2, "2024-01-03T00:00:00Z"), // boundary, seen
      rec(3, "2024-01-03T00:00:00Z"), // boundary, new
      rec(4, "2024-01-04T00:00:00Z") // newer
    ])
    assert.deepStrictEqual(idsOf(page.records), [3, 4])
    const state = stateOf(second)
    assert.strictEqual(state.lastValue, "2024-01-04T00:00:00Z")
    assert.strictEqual(state.uniqueHashes.length, 1)

    // a run where nothing newer arrives keeps the old boundary hashes and adds the new ones
    const third = Incremental.start(options({ initialValue: "2024-01-01T00:00:00Z" }), stored)
    assert.deepStrictEqual(idsOf(filterOk(third, [rec(2, "2024-01-03T00:00:00Z"), rec(3, "2024-01-03T00:00:00Z")]).records), [3])
    const thirdState = stateOf(third)
    assert.strictEqual(thirdState.lastValue, "2024-01-03T00:00:00Z")
    assert.strictEqual(thirdState.uniqueHashes.length, 2)
    const fourth = Incremental.start(options(), thirdState)
    assert.deepStrictEqual(filterOk(fourth, [rec(2, "2024-01-03T00:00:00Z"), rec(3, "2024-01-03T00:00:00Z")]).records, [])
  })

  it("no initial_value and no state: everything passes, the max is stored", () => {
    const run = Incremental.start(options(), undefined)
    assert.isUndefined(run.placeholders.start_value)
    assert.deepStrictEqual(idsOf(filterOk(run, [rec(1, 5), rec(2, 3)]).records), [1, 2])
    assert.deepStrictEqual(stateOf(run).lastValue, 5)
    assert.deepStrictEqual(Incremental.start(options(), undefined).state(), {
      initialValue: undefined,
      lastValue: undefined,
      uniqueHashes: []
    })
  })

  it("boundary dedup hashes the whole record when there is no primary key", () => {
    const first = Incremental.start(options({ primaryKey: [] }), undefined)
    filterOk(first, [{ id: 1, updated_at: 10, name: "a" }])
    const second = Incremental.start(options({ primaryKey: [] }), first.state())
    const page = filterOk(second, [{ name: "a", updated_at: 10, id: 1 }, { id: 1, updated_at: 10, name: "changed" }])
    assert.deepStrictEqual(page.records, [{ id: 1, updated_at: 10, name: "changed" }])
  })

  it("a record without its primary key field at the boundary is an error", () => {
    const first = Incremental.start(options(), undefined)
    filterOk(first, [rec(1, 10)])
    const err = filterErr(Incremental.start(options(), first.state()), [{ updated_at: 10 }], 7)
    assert.strictEqual(err.recordIndex, 7)
    assert.match(err.message, /primary key field "id" is missing in record 7/)
  })

  describe("lag", () => {
    it("moves a date-time start back by seconds, keeping its format; state only moves forward", () => {
      const stored: Incremental.IncrementalState = {
        initialValue: undefined,
        lastValue: "2024-01-10T12:00:00+02:00",
        uniqueHashes: []
      }
      const run = Incremental.start(options({ lag: 3600 }), stored)
      assert.strictEqual(run.placeholders.start_value, "2024-01-10T11:00:00+02:00")
      assert.strictEqual(run.placeholders.last_value, "2024-01-10T11:00:00+02:00")
      const page = filterOk(run, [rec(1, "2024-01-10T10:59:59+02:00"), rec(2, "2024-01-10T09:30:00Z"), rec(3, "2024-01-10T11:00:00+02:00")])
      assert.deepStrictEqual(idsOf(page.records), [2, 3]) // the window is re-read
      assert.strictEqual(stateOf(run).lastValue, "2024-01-10T12:00:00+02:00") // not "09:30Z"

      const later = Incremental.start(options({ lag: 3600 }), stored)
      filterOk(later, [rec(4, "2024-01-10T10:30:00Z")])
      assert.strictEqual(stateOf(later).lastValue, "2024-01-10T10:30:00Z")
    })

    it("keeps fractional precision and separators", () => {
      const at = (lastValue: string, lag: number) =>
        Incremental.start(options({ lag }), { initialValue: undefined, lastValue, uniqueHashes: [] }).placeholders.start_value
      assert.strictEqual(at("2024-01-10T12:00:00.123Z", 0.5), "2024-01-10T11:59:59.623Z")
      assert.strictEqual(at("2024-01-10T12:00:00Z", 0.25), "2024-01-10T11:59:59.75Z")
      assert.strictEqual(at("2024-01-01 00:00:00", 1), "2023-12-31 23:59:59")
      assert.strictEqual(at("2024-03-01T00:30:00-0500", 86400), "2024-02-29T00:30:00-0500")
    })

    it("never reaches back past initial_value", () => {
      const run = Incremental.start(options({ lag: 3600, initialValue: "2024-01-10T09:30:00Z" }), {
        initialValue: "2024-01-10T09:30:00Z",
        lastValue: "2024-01-10T10:00:00Z",
        uniqueHashes: []
      })
      assert.strictEqual(run.placeholders.start_value, "2024-01-10T09:30:00Z")
      const first = Incremental.start(options({ lag: 3600, initialValue: "2024-01-10T09:30:00Z" }), undefined)
      assert.strictEqual(first.placeholders.start_value, "2024-01-10T09:30:00Z")
    })

    it("moves a date start back by days", () => {
      const at = (lastValue: string, lag: number, initialValue?: string) =>
        Incremental.start(options({ lag, initialValue }), { initialValue, lastValue, uniqueHashes: [] }).placeholders
          .start_value
      assert.strictEqual(at("2024-03-01", 1), "2024-02-29")
      assert.strictEqual(at("20240110", 2), "20240108")
      // dlt takes the unit from a date initial_value: a date-time cursor goes back whole days
      assert.strictEqual(at("2024-01-10T12:30:00Z", 1, "2024-01-01"), "2024-01-09T00:00:00Z")
    })

    it("moves a number start back (forward for min) in plain units", () => {
      const at = (lastValue: number, lag: number, lastValueFunc: "max" | "min" = "max") =>
        Incremental.start(options({ lag, lastValueFunc }), { initialValue: undefined, lastValue, uniqueHashes: [] })
          .placeholders.start_value
      assert.strictEqual(at(100, 10), 90)
      assert.strictEqual(at(100, 10, "min"), 110)
      assert.strictEqual(at(100, 1.5), 98) // an int cursor stays an int, as dlt
      assert.strictEqual(at(2.5, 1), 1.5)
    })

    it("is not applied with end_value; a lag on a non-date string is reported by filter", () => {
      const run = Incremental.start(options({ lag: 10, initialValue: 100, endValue: 200 }), undefined)
      assert.strictEqual(run.placeholders.start_value, 100)
      const bad = Incremental.start(options({ lag: 10 }), { initialValue: undefined, lastValue: "abc", uniqueHashes: [] })
      assert.match(filterErr(bad, []).message, /lag needs a number, date or date-time cursor/)
    })
  })

  it("end_value: a stateless backfill from initial_value, ignoring stored state", () => {
    const stored: Incremental.IncrementalState = { initialValue: 0, lastValue: 150, uniqueHashes: [] }
    const run = Incremental.start(options({ initialValue: 100, endValue: 200 }), stored)
    assert.deepStrictEqual(run.placeholders, { start_value: 100, initial_value: 100, last_value: 100, end_value: 200 })
    const page = filterOk(run, [rec(1, 99), rec(2, 100), rec(3, 160), rec(4, 199), rec(5, 200), rec(6, 250)])
    assert.deepStrictEqual(idsOf(page.records), [2, 3, 4])
    assert.isUndefined(run.state())
  })

  it("min: keeps values at or below the start and stores the smallest", () => {
    const run = Incremental.start(options({ lastValueFunc: "min", initialValue: 100 }), undefined)
    const page = filterOk(run, [rec(1, 120), rec(2, 100), rec(3, 80), rec(4, 50)])
    assert.deepStrictEqual(idsOf(page.records), [2, 3, 4])
    assert.strictEqual(stateOf(run).lastValue, 50)
    const withEnd = Incremental.start(options({ lastValueFunc: "min", initialValue: 100, endValue: 60 }), undefined)
    assert.deepStrictEqual(idsOf(filterOk(withEnd, [rec(1, 100), rec(2, 80), rec(3, 60), rec(4, 50)]).records), [1, 2])
  })

  it("a custom last_value_func decides which value wins", () => {
    // the longest string wins
    const longest = (values: ReadonlyArray<unknown>) =>
      values.reduce((a, b) => String(b).length > String(a).length ? b : a)
    const run = Incremental.start(options({ lastValueFunc: longest, initialValue: "bb" }), undefined)
    const page = filterOk(run, [rec(1, "a"), rec(2, "bb"), rec(3, "cccc"), rec(4, "ddd")])
    assert.deepStrictEqual(idsOf(page.records), [2, 3, 4])
    assert.strictEqual(stateOf(run).lastValue, "cccc")
  })

  describe("row_order", () => {
    it("asc: a record past end_value stops paging", () => {
      const run = Incremental.start(options({ initialValue: 0, endValue: 10, rowOrder: "asc" }), undefined)
      assert.isFalse(filterOk(run, [rec(1, 5), rec(2, 6)]).stop)
      const page = filterOk(run, [rec(3, 8), rec(4, 9), rec(5, 10), rec(6, 11)])
      assert.deepStrictEqual(idsOf(page.records), [3, 4])
      assert.isTrue(page.stop)
      // without row_order the same page is filtered but paging goes on
      const unordered = Incremental.start(options({ initialValue: 0, endValue: 10 }), undefined)
      assert.isFalse(filterOk(unordered, [rec(5, 10), rec(6, 11)]).stop)
    })

    it("desc: a record before the start (or an already loaded boundary record) stops paging", () => {
      const first = Incremental.start(options(), undefined)
      filterOk(first, [rec(1, 5)])
      const run = Incremental.start(options({ rowOrder: "desc" }), first.state())
      assert.isFalse(filterOk(run, [rec(9, 9), rec(8, 8)]).stop)
      const page = filterOk(run, [rec(7, 7), rec(2, 5), rec(1, 5)])
      assert.deepStrictEqual(idsOf(page.records), [7, 2])
      assert.isTrue(page.stop)
      const older = Incremental.start(options({ rowOrder: "desc", initialValue: 5 }), undefined)
      const p = filterOk(older, [rec(6, 6), rec(4, 4)])
      assert.deepStrictEqual(idsOf(p.records), [6])
      assert.isTrue(p.stop)
      // asc never stops at the start
      const asc = Incremental.start(options({ rowOrder: "asc", initialValue: 5 }), undefined)
      assert.isFalse(filterOk(asc, [rec(4, 4), rec(6, 6)]).stop)
    })
  })

  describe("ranges", () => {
    it("range_start open excludes the start value and keeps no hashes", () => {
      const run = Incremental.start(options({ initialValue: 10, rangeStart: "open" }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(run, [rec(1, 9), rec(2, 10), rec(3, 11), rec(4, 11)]).records), [3, 4])
      assert.deepStrictEqual(stateOf(run), { initialValue: 10, lastValue: 11, uniqueHashes: [] })
    })

    it("range_start closed includes the start value", () => {
      const run = Incremental.start(options({ initialValue: 10 }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(run, [rec(1, 9), rec(2, 10), rec(3, 11)]).records), [2, 3])
    })

    it("range_end open excludes the end value, closed includes it", () => {
      const open = Incremental.start(options({ initialValue: 0, endValue: 10 }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(open, [rec(1, 9), rec(2, 10), rec(3, 11)]).records), [1])
      const closed = Incremental.start(options({ initialValue: 0, endValue: 10, rangeEnd: "closed" }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(closed, [rec(1, 9), rec(2, 10), rec(3, 11)]).records), [1, 2])
    })
  })

  describe("missing cursor", () => {
    const page = [rec(1, 5), { id: 2 }, rec(3, null), rec(4, 6)]

    it("raise: an error naming the cursor path and the record index", () => {
      const run = Incremental.start(options(), undefined)
      const missing = filterErr(run, page, 10)
      assert.strictEqual(missing.recordIndex, 11)
      assert.match(missing.message, /"updated_at"/)
      assert.match(missing.message, /missing in record 11/)
      const isNull = filterErr(Incremental.start(options(), undefined), [rec(1, 5), rec(3, null)], 0)
      assert.strictEqual(isNull.recordIndex, 1)
      assert.match(isNull.message, /null in record 1/)
    })

    it("include keeps the record without moving the cursor; exclude drops it", () => {
      const include = Incremental.start(options({ onCursorValueMissing: "include", initialValue: 5 }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(include, page).records), [1, 2, 3, 4])
      assert.strictEqual(stateOf(include).lastValue, 6)
      const exclude = Incremental.start(options({ onCursorValueMissing: "exclude" }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(exclude, page).records), [1, 4])
    })

    it("reads nested and wildcard cursor paths (the first match counts)", () => {
      const nested = Incremental.start(options({ cursorPath: DataSelector.unsafeParse("meta.updated"), initialValue: 2 }), undefined)
      assert.deepStrictEqual(
        idsOf(filterOk(nested, [{ id: 1, meta: { updated: 1 } }, { id: 2, meta: { updated: 3 } }]).records),
        [2]
      )
      const wildcard = Incremental.start(options({ cursorPath: DataSelector.unsafeParse("versions[*].at") }), undefined)
      assert.deepStrictEqual(
        idsOf(filterOk(wildcard, [{ id: 1, versions: [{ at: 4 }, { at: 9 }] }]).records),
        [1]
      )
      assert.strictEqual(stateOf(wildcard).lastValue, 4)
      assert.match(filterErr(wildcard, [{ id: 2, versions: [] }]).message, /missing in record 0/)
    })
  })

  describe("comparisons", () => {
    it("date-times compare as instants across time zones; the raw value is stored", () => {
      const first = Incremental.start(options({ initialValue: "2024-01-01T00:00:00Z" }), undefined)
      filterOk(first, [rec(1, "2024-01-01T00:00:00Z")])
      const second = Incremental.start(options(), first.state())
      const page = filterOk(second, [
        rec(1, "2024-01-01T01:00:00+01:00"), // the same instant: deduplicated
        rec(2, "2024-01-01T00:30:00+01:00"), // 2023-12-31T23:30Z: older
        rec(3, "2024-01-01T01:30:00+01:00"), // 00:30Z: newer, although lexicographically it is not the max
        rec(4, "2024-01-01T00:15:00Z")
      ])
      assert.deepStrictEqual(idsOf(page.records), [3, 4])
      assert.strictEqual(stateOf(second).lastValue, "2024-01-01T01:30:00+01:00")
    })

    it("dates compare as dates, other strings lexicographically", () => {
      const dates = Incremental.start(options({ initialValue: "2024-01-02" }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(dates, [rec(1, "2024-01-01"), rec(2, "2024-01-02T00:00:00Z"), rec(3, "2024-01-10")]).records), [2, 3])
      const text = Incremental.start(options({ initialValue: "b" }), undefined)
      assert.deepStrictEqual(idsOf(filterOk(text, [rec(1, "a"), rec(2, "b"), rec(3, "ba")]).records), [2, 3])
      assert.strictEqual(stateOf(text).lastValue, "ba")
    })

    it("a number against a string is an error", () => {
      const run = Incremental.start(options({ initialValue: 10 }), undefined)
      const err = filterErr(run, [rec(1, 11), rec(2, "12")], 4)
      assert.strictEqual(err._tag, "IncrementalError")
      assert.strictEqual(err.recordIndex, 5)
      assert.match(err.message, /cannot compare cursor values "12" \(string\) and 10 \(number\)/)
    })
  })

  describe("parseState", () => {
    it("accepts stored state (null or missing values are absent)", () => {
      assert.deepStrictEqual(Incremental.parseState({ initialValue: 1, lastValue: 5, uniqueHashes: ["a"] }), {
        initialValue: 1,
        lastValue: 5,
        uniqueHashes: ["a"]
      })
      assert.deepStrictEqual(Incremental.parseState({ lastValue: null, uniqueHashes: [] }), {
        initialValue: undefined,
        lastValue: undefined,
        uniqueHashes: []
      })
    })

    it("rejects garbage", () => {
      for (const garbage of [null, undefined, 42, "state", [], {}, { lastValue: 5 }, { uniqueHashes: "a" }, { uniqueHashes: [1] }]) {
        assert.isUndefined(Incremental.parseState(garbage), JSON.stringify(garbage))
      }
    })
  })
})

describe("windows (ours, dlt#3223)", () => {
  const week = { _tag: "Duration", millis: 7 * 86_400_000 } as const
  const now = Date.parse("2024-01-20T12:00:00Z")

  it("splits a date-time range into windows, the last one cut at the end (or now); values keep their form", () => {
    const iso = Incremental.windows("2024-01-01T00:00:00Z", "2024-01-16T00:00:00Z", week, now)
    assert.deepStrictEqual(Either.getOrThrow(iso), [
      ["2024-01-01T00:00:00.000Z", "2024-01-08T00:00:00.000Z"],
      ["2024-01-08T00:00:00.000Z", "2024-01-15T00:00:00.000Z"],
      ["2024-01-15T00:00:00.000Z", "2024-01-16T00:00:00.000Z"]
    ])
    // Dates stay Dates; without an end_value the last window ends now.
    const toNow = Either.getOrThrow(Incremental.windows(new Date("2024-01-10T00:00:00Z"), undefined, week, now))
    assert.deepStrictEqual(toNow.map((w) => w.map((d) => (d instanceof Date ? d.toISOString() : "not a Date"))), [
      ["2024-01-10T00:00:00.000Z", "2024-01-17T00:00:00.000Z"],
      ["2024-01-17T00:00:00.000Z", "2024-01-20T12:00:00.000Z"]
    ])
    // Already at the end: nothing to request.
    assert.deepStrictEqual(Either.getOrThrow(Incremental.windows("2024-01-20T12:00:00Z", undefined, week, now)), [])
  })

  it("numeric windows need numbers and an end_value; bad values are errors", () => {
    assert.deepStrictEqual(Either.getOrThrow(Incremental.windows(0, 25, { _tag: "Number", size: 10 }, now)), [[0, 10], [10, 20], [20, 25]])
    const noEnd = Incremental.windows(0, undefined, { _tag: "Number", size: 10 }, now)
    assert(Either.isLeft(noEnd))
    assert.match(noEnd.left.message, /needs a numeric end_value/)
    const notDate = Incremental.windows("soon", undefined, week, now)
    assert(Either.isLeft(notDate))
    assert.match(notDate.left.message, /needs a date-time start value, found "soon"/)
    const tooMany = Incremental.windows(0, 1e9, { _tag: "Number", size: 1 }, now)
    assert(Either.isLeft(tooMany))
  })
})

