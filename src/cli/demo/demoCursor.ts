/** The demo API's opaque paging cursors: an offset with a checksum, so garbled cursors are refused. */
import type { DemoResource } from "./demoResources.js"

const fnv1a = (s: string): number => {
  let h = 0x811c9dc5
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

const checksum = (resource: DemoResource, offset: number): string => fnv1a(`${resource}|${offset}|demo-cursor`).toString(36)

/** The opaque cursor for `offset` of `resource`: base64url of `offset.checksum`. */
export const encodeCursor = (resource: DemoResource, offset: number): string =>
  Buffer.from(`${offset.toString(36)}.${checksum(resource, offset)}`, "utf8").toString("base64url")

/** The offset of a cursor, or `undefined` if it is not one this API issued for `resource`. */
export const decodeCursor = (resource: DemoResource, cursor: string): number | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const m = /^([0-9a-z]+)\.([0-9a-z]+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"))
  if (m === null) return undefined
  const offset = parseInt(m[1], 36)
  if (!Number.isSafeInteger(offset) || checksum(resource, offset) !== m[2]) return undefined
  return offset
}
