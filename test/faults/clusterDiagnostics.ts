/**
 * What a cluster test prints when syncs did not all commit: each other sync's row of
 * `rc_cluster.syncs`, the messages its workflow entity and clock hold (tag, primary key,
 * processed, due time) with their replies, and the registered runners. Enough to tell a
 * workflow nobody resumed from one waiting on a clock or an activity nobody ran.
 */
import pg from "pg"

export const describeUnfinished = async (url: string): Promise<string> => {
  const client = new pg.Client({ connectionString: url })
  client.on("error", () => {})
  const lines: Array<string> = []
  try {
    await client.connect()
    const syncs = (await client.query<Record<string, unknown>>(
      `SELECT * FROM rc_cluster.syncs WHERE state <> 'committed' ORDER BY execution_id`
    )).rows
    for (const sync of syncs) {
      lines.push(`sync ${JSON.stringify(sync)}`)
      const messages = (await client.query<Record<string, unknown>>(
        `SELECT m.id, m.shard_id, m.entity_type, m.tag, m.message_id, m.kind, m.processed, m.deliver_at, m.last_read, m.request_id,
                (SELECT json_agg(json_build_object('kind', r.kind, 'acked', r.acked, 'payload', left(r.payload, 300)) ORDER BY r.id)
                   FROM rc_cluster.cluster_replies r WHERE r.request_id = m.id) AS replies
           FROM rc_cluster.cluster_messages m WHERE m.entity_id = $1 ORDER BY m.id`,
        [sync["execution_id"]]
      )).rows
      for (const m of messages) lines.push(`  message ${JSON.stringify(m)}`)
    }
    const runners = (await client.query<Record<string, unknown>>(`SELECT * FROM rc_cluster.cluster_runners`)).rows
    for (const r of runners) lines.push(`runner ${JSON.stringify(r)}`)
  } catch (e) {
    lines.push(`(could not read the cluster's tables: ${e instanceof Error ? e.message : String(e)})`)
  } finally {
    await client.end().catch(() => {})
  }
  return lines.join("\n")
}
