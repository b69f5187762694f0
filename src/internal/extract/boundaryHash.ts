/** Record hashes for boundary deduplication: records at the last value that a run already loaded. */
import { Either, Predicate } from "effect"
import { createHash } from "node:crypto"
import { canonicalJson, show, typeName } from "./cursorValue.js"

const digest = (s: string): string => createHash("sha256").update(s).digest("base64url").slice(0, 22)

export const hashRecord = (record: unknown, primaryKey: ReadonlyArray<string>): Either.Either<string, string> => {
  if (primaryKey.length === 0) return Either.right(digest(canonicalJson(record)))
  if (!Predicate.isRecord(record)) {
    return Either.left(`primary key ${show(primaryKey)} cannot be read from a ${typeName(record)} record`)
  }
  const values: Array<unknown> = []
  for (const k of primaryKey) {
    if (!Object.hasOwn(record, k)) return Either.left(`primary key field ${JSON.stringify(k)} is missing`)
    values.push(record[k])
  }
  return Either.right(digest(canonicalJson(primaryKey.length === 1 ? values[0] : values)))
}
