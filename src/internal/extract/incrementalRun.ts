/** One run of the incremental cursor: its start value, the filter of each page and the state after. */
import { Either } from "effect"
import * as DataSelector from "../syntax/dataSelector.js"
import { hashRecord } from "./boundaryHash.js"
import { applyLag } from "./cursorLag.js"
import { cursorOf, directionOf, present, same } from "./cursorValue.js"
import { IncrementalError, type IncrementalOptions, type IncrementalRun, type IncrementalState } from "./incrementalModel.js"
import { parseTemporal } from "./temporalText.js"

type Found = { readonly _tag: "Value"; readonly value: unknown } | { readonly _tag: "Missing" | "Null" }

const findCursor = (selector: DataSelector.DataSelector, record: unknown): Found => {
  const v = DataSelector.readPath(selector, record)
  if (selector.hasWildcard && Array.isArray(v)) {
    // dlt takes the first match and ignores the others
    if (v.length === 0) return { _tag: "Missing" }
    if (v.some((x) => x === null)) return { _tag: "Null" }
    return { _tag: "Value", value: v[0] }
  }
  return v === undefined ? { _tag: "Missing" } : v === null ? { _tag: "Null" } : { _tag: "Value", value: v }
}

/**
 * Starts one run of the cursor: mutable inside, so make one per run (and per parent record for
 * child resources).
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: IncrementalOptions, stored: IncrementalState | undefined): IncrementalRun => {
  const path = options.cursorPath.source
  const direction = directionOf(options.lastValueFunc)
  const initial = present(options.initialValue) ? options.initialValue : undefined
  const end = present(options.endValue) ? options.endValue : undefined
  const stateless = end !== undefined
  const storedLast = !stateless && stored !== undefined && present(stored.lastValue) ? stored.lastValue : undefined
  const storedHashes: ReadonlySet<string> = new Set(stateless ? [] : stored?.uniqueHashes ?? [])
  const dedup = options.rangeStart === "closed"

  // an error found while setting up; reported by the first filter call
  let setupError: IncrementalError | undefined
  const fail = (message: string, recordIndex?: number) =>
    new IncrementalError({ message: `Incremental cursor ${JSON.stringify(path)}: ${message}`, recordIndex })

  let startValue = storedLast ?? initial
  const func = options.lastValueFunc
  if (
    !stateless && startValue !== undefined && options.lag !== undefined && options.lag !== 0 &&
    (func === "max" || func === "min")
  ) {
    const unit = typeof initial === "string" ? parseTemporal(initial)?._tag : undefined
    const lagged = applyLag(options.lag, startValue, func, unit)
    if (Either.isLeft(lagged)) {
      setupError = fail(lagged.left)
    } else if (initial === undefined) {
      startValue = lagged.right
    } else {
      // lag never reaches back past initial_value
      const cmp = direction(cursorOf(initial), cursorOf(lagged.right))
      if (Either.isLeft(cmp)) setupError = fail(cmp.left)
      else startValue = cmp.right >= 0 ? initial : lagged.right
    }
  }

  const startCursor = startValue === undefined ? undefined : cursorOf(startValue)
  const endCursor = end === undefined ? undefined : cursorOf(end)
  const storedCursor = storedLast === undefined ? undefined : cursorOf(storedLast)
  // the last value of this run (starts at the start value, as dlt's transformer) and the hashes at it
  let last = startCursor
  let lastHashes = new Set<string>()

  const filter: IncrementalRun["filter"] = (records, firstIndex) => {
    if (setupError !== undefined) return Either.left(setupError)
    const kept: Array<unknown> = []
    let stop = false
    for (let i = 0; i < records.length; i++) {
      const record = records[i]
      const index = firstIndex + i
      const found = findCursor(options.cursorPath, record)
      if (found._tag !== "Value") {
        if (options.onCursorValueMissing === "include") kept.push(record)
        if (options.onCursorValueMissing !== "raise") continue
        return Either.left(fail(
          found._tag === "Missing"
            ? `the cursor path is missing in record ${index} (set on_cursor_value_missing to "include" or "exclude" to accept it)`
            : `the cursor value is null in record ${index} (set on_cursor_value_missing to "include" or "exclude" to accept it)`,
          index
        ))
      }
      const cursor = cursorOf(found.value)
      if (endCursor !== undefined) {
        const cmp = direction(cursor, endCursor)
        if (Either.isLeft(cmp)) return Either.left(fail(`${cmp.left} (record ${index} against end_value)`, index))
        if (cmp.right > 0 || (cmp.right === 0 && options.rangeEnd === "open")) {
          if (options.rowOrder === "asc") stop = true
          continue
        }
      }
      let hash: string | undefined
      const hashOf = (): Either.Either<string, IncrementalError> => {
        if (hash !== undefined) return Either.right(hash)
        return Either.mapBoth(hashRecord(record, options.primaryKey), {
          onLeft: (m) => fail(`${m} in record ${index}`, index),
          onRight: (h) => (hash = h)
        })
      }
      if (startCursor !== undefined) {
        const cmp = direction(cursor, startCursor)
        if (Either.isLeft(cmp)) return Either.left(fail(`${cmp.left} (record ${index} against the start value)`, index))
        let drop = cmp.right < 0
        if (cmp.right === 0) {
          if (!dedup) {
            drop = true
          } else if (storedHashes.size > 0) {
            const h = hashOf()
            if (Either.isLeft(h)) return Either.left(h.left)
            drop = storedHashes.has(h.right)
          }
        }
        if (drop) {
          if (options.rowOrder === "desc") stop = true
          continue
        }
      }
      kept.push(record)
      const cmp = last === undefined ? Either.right(1) : direction(cursor, last)
      if (Either.isLeft(cmp)) return Either.left(fail(`${cmp.left} (record ${index} against the last value)`, index))
      if (cmp.right >= 0) {
        if (cmp.right > 0) {
          last = cursor
          lastHashes = new Set()
        }
        if (dedup) {
          const h = hashOf()
          if (Either.isLeft(h)) return Either.left(h.left)
          lastHashes.add(h.right)
        }
      }
    }
    return Either.right({ records: kept, stop })
  }

  const state = (): IncrementalState | undefined => {
    if (stateless) return undefined
    let final = last
    // with lag the run may end below the stored value: state only moves forward
    if (storedCursor !== undefined && final !== undefined) {
      const cmp = direction(storedCursor, final)
      if (Either.isRight(cmp) && cmp.right > 0) final = storedCursor
    }
    const hashes = new Set<string>()
    if (dedup && final !== undefined) {
      if (last !== undefined && same(final, last)) lastHashes.forEach((h) => hashes.add(h))
      // nothing newer arrived: the records loaded earlier at this value stay deduplicated
      if (storedCursor !== undefined && same(final, storedCursor)) storedHashes.forEach((h) => hashes.add(h))
    }
    return {
      initialValue: present(stored?.initialValue) ? stored?.initialValue : initial,
      lastValue: final?.raw,
      uniqueHashes: Array.from(hashes)
    }
  }

  return {
    placeholders: { start_value: startValue, initial_value: initial, last_value: startValue, end_value: end },
    filter,
    state
  }
}
