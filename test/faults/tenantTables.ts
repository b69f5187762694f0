/**
 * Row-for-row comparison of two datasets of the tenant API's config: every data column of
 * `users` and `events`, and each `events__tags` row with its event's id and list position
 * (system columns such as load ids differ between runs by design). Duplicates count: rows
 * are compared as sorted lists, not sets.
 */
import pg from "pg"

const queries: Record<string, (schema: string) => string> = {
  users: (s) => `SELECT id, tenant, name, score::text FROM "${s}".users ORDER BY id`,
  events: (s) => `SELECT id, tenant, user_id, kind FROM "${s}".events ORDER BY id`,
  events__tags: (s) =>
    `SELECT e.id, t._rc_list_idx, t.value FROM "${s}".events__tags t JOIN "${s}".events e ON t._rc_parent_id = e._rc_id ORDER BY 1, 2, 3`
}

/** What differs, as `<dataset>.<table>: ...` lines; empty when every pair is identical. */
export const compareTenantTables = async (
  url: string,
  pairs: ReadonlyArray<{ readonly ours: string; readonly reference: string }>
): Promise<ReadonlyArray<string>> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const differences: Array<string> = []
    for (const { ours, reference } of pairs) {
      for (const [table, query] of Object.entries(queries)) {
        const rows = async (schema: string) => (await client.query({ text: query(schema), rowMode: "array" })).rows.map((r) => JSON.stringify(r))
        const [got, want] = await Promise.all([rows(ours), rows(reference)])
        if (want.length === 0) differences.push(`${reference}.${table}: the reference is empty`)
        if (got.join("\n") !== want.join("\n")) {
          const missing = want.filter((r) => !got.includes(r)).length
          const extra = got.length - (want.length - missing)
          differences.push(`${ours}.${table}: ${got.length} rows, the reference ${want.length} (${missing} missing, ${extra} extra or duplicated)`)
        }
      }
    }
    return differences
  } finally {
    await client.end()
  }
}
