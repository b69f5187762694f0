/** The version of a resource's stored schema: a stable hash of its tables and their columns. */
import { createHash } from "node:crypto"

export interface SchemaVersion {
  readonly hash: string
  /** The hashed document, stored in `_rc_version.schema`. */
  readonly json: string
}

/** Stable hash of a resource's stored tables: names sorted, columns in stored order. */
export const schemaVersionOf = (
  resource: string,
  tables: ReadonlyArray<{
    readonly name: string
    readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string; readonly nullable: boolean }>
  }>
): SchemaVersion => {
  const sorted = [...tables].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const json = JSON.stringify({
    resource,
    tables: sorted.map((t) => ({
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }))
    }))
  })
  return { hash: createHash("sha256").update(json).digest("base64url"), json }
}
