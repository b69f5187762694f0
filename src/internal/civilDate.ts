/**
 * Calendar arithmetic of the proleptic Gregorian calendar on days since 1970-01-01 (H. Hinnant's
 * algorithms): no Date objects, no 0-99 year quirk, a few integer operations.
 */

/** Days since 1970-01-01 of year `y0`, month `m` (1-12), day `d`. */
export const daysFromCivil = (y0: number, m: number, d: number): number => {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/**
 * Year, month (1-12) and day of the day `z0` days after 1970-01-01, into `out[0..2]` (a reused
 * array: the COPY encoder runs this for every timestamp, and a tuple per call cost a third more).
 */
export const civilInto = (z0: number, out: Int32Array): void => {
  const z = z0 + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const m = mp < 10 ? mp + 3 : mp - 9
  out[0] = m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400
  out[1] = m
  out[2] = doy - Math.floor((153 * mp + 2) / 5) + 1
}

const scratch = new Int32Array(3)

/** [year, month (1-12), day] of the day `z0` days after 1970-01-01. */
export const civilFromDays = (z0: number): readonly [number, number, number] => {
  civilInto(z0, scratch)
  return [scratch[0], scratch[1], scratch[2]]
}

/** Days in month `m` (1-12) of year `y` (proleptic Gregorian leap years). */
export const daysInMonth = (y: number, m: number): number =>
  m === 2
    ? (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
    : m === 4 || m === 6 || m === 9 || m === 11
    ? 30
    : 31
