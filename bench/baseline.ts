/**
 * The benchmark's baseline: a minimal hand-written loader for the demo API's three resources.
 * For each resource (the three run concurrently): `fetch` the cursor pages (`X-API-Token`,
 * `limit=50`, follow `next` until `hasNext` is false), `JSON.parse` them, buffer `batchPages`
 * pages of records and `COPY` each batch into one table per resource (top-level scalars as
 * their types, nested values as jsonb). The next batch is fetched while the last one is copied.
 *
 * Database: a Postgres server (`databaseUrl`; its own schema, dropped afterwards) through
 * pg + pg-copy-streams. Without one, a PGlite of its own (in `dataDir`, or in memory), with
 * `COPY ... FROM '/dev/blob'`: COPY FROM STDIN does not work over the embedded database's
 * loopback socket (the server reports "protocol synchronization was lost").
 *
 * As a program (the benchmark runs it in a child process, so its memory is not counted as ours):
 *   DATABASE_URL=... node --import tsx bench/baseline.ts --base-url URL --token TOKEN [--batch-pages 20] [--data-dir DIR]
 * prints one JSON line: {"rows":…,"pages":…,"seconds":…,"peakRssMb":…,"database":"server"|"embedded"}.
 */
import { PGlite } from "@electric-sql/pglite"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import { argValue } from "./demoProcess.js"

type SqlType = "text" | "bigint" | "double precision" | "boolean" | "timestamptz" | "jsonb"

interface ResourceSpec {
  readonly table: string
  readonly path: string
  readonly dataSelector: string
  readonly columns: ReadonlyArray<readonly [string, SqlType]>
}

/** The three demo resources, typed by hand from demo/DemoApi.ts. */
const resources: ReadonlyArray<ResourceSpec> = [
  {
    table: "appointment_links",
    path: "appointmentlinks/me",
    dataSelector: "data",
    columns: [
      ["id", "text"],
      ["title", "text"],
      ["description", "text"],
      ["url", "text"],
      ["durationMinutes", "bigint"],
      ["price", "double precision"],
      ["isActive", "boolean"],
      ["timezone", "text"],
      ["createdAt", "timestamptz"],
      ["updatedAt", "timestamptz"],
      ["owner", "jsonb"],
      ["tags", "jsonb"],
      ["attendees", "jsonb"]
    ]
  },
  {
    table: "code_snippets",
    path: "codesnippets",
    dataSelector: "results",
    columns: [
      ["id", "bigint"],
      ["name", "text"],
      ["language", "text"],
      ["code", "text"],
      ["description", "text"],
      ["version", "bigint"],
      ["isPublic", "boolean"],
      ["sizeBytes", "bigint"],
      ["score", "double precision"],
      ["archivedAt", "timestamptz"],
      ["createdAt", "timestamptz"],
      ["updatedAt", "timestamptz"],
      ["author", "jsonb"],
      ["tags", "jsonb"],
      ["files", "jsonb"]
    ]
  },
  {
    table: "insights_reports",
    path: "insightsreports",
    dataSelector: "results",
    columns: [
      ["id", "text"],
      ["title", "text"],
      ["status", "text"],
      ["description", "text"],
      ["periodStart", "text"],
      ["periodEnd", "text"],
      ["conversionRate", "double precision"],
      ["totalViews", "bigint"],
      ["isScheduled", "boolean"],
      ["deletedAt", "timestamptz"],
      ["createdAt", "timestamptz"],
      ["updatedAt", "timestamptz"],
      ["meta", "jsonb"],
      ["tags", "jsonb"],
      ["metrics", "jsonb"]
    ]
  }
]

const quote = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

const escapeCopy = (s: string): string =>
  /[\\\n\r\t]/.test(s)
    ? s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll("\r", "\\r").replaceAll("\t", "\\t")
    : s

/** One value in COPY text format: nested values as JSON, NULL as `\N`. */
const copyValue = (v: unknown): string =>
  v === null || v === undefined ? "\\N" : typeof v === "object" ? escapeCopy(JSON.stringify(v)) : escapeCopy(String(v))

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null

const copyText = (spec: ResourceSpec, records: ReadonlyArray<Readonly<Record<string, unknown>>>): string => {
  let text = ""
  for (const record of records) {
    text += spec.columns.map(([name]) => copyValue(record[name])).join("\t") + "\n"
  }
  return text
}

/** Writes one batch of COPY text into a table. */
type CopyBatch = (spec: ResourceSpec, text: string) => Promise<void>

interface Database {
  readonly exec: (sql: string) => Promise<void>
  readonly copy: CopyBatch
  readonly close: () => Promise<void>
  readonly schema: string
}

const serverDatabase = (url: string, schema: string): Database => {
  const pool = new pg.Pool({ connectionString: url, max: resources.length })
  pool.on("error", () => undefined)
  return {
    schema,
    exec: async (sql) => {
      await pool.query(sql)
    },
    copy: async (spec, text) => {
      const client = await pool.connect()
      let failure: Error | undefined
      try {
        const columns = spec.columns.map(([name]) => quote(name)).join(", ")
        const stream = client.query(copyFrom(`COPY ${quote(schema)}.${quote(spec.table)} (${columns}) FROM STDIN`))
        await pipeline(Readable.from([text]), stream)
      } catch (e) {
        failure = e instanceof Error ? e : new Error("COPY failed")
        throw e
      } finally {
        client.release(failure)
      }
    },
    close: () => pool.end()
  }
}

const embeddedDatabase = async (dataDir: string | undefined): Promise<Database> => {
  const db = new PGlite(dataDir)
  await db.waitReady
  return {
    schema: "public",
    exec: async (sql) => {
      await db.exec(sql)
    },
    copy: async (spec, text) => {
      const columns = spec.columns.map(([name]) => quote(name)).join(", ")
      await db.query(`COPY ${quote(spec.table)} (${columns}) FROM '/dev/blob'`, [], { blob: new Blob([text]) })
    },
    close: () => db.close()
  }
}

const fetchPage = async (url: URL, token: string): Promise<Readonly<Record<string, unknown>>> => {
  const res = await fetch(url, { headers: { "X-API-Token": token } })
  const body = await res.text()
  if (!res.ok) throw new Error(`GET ${url.pathname}: HTTP ${res.status}`)
  const parsed: unknown = JSON.parse(body)
  if (!isRecord(parsed)) throw new Error(`GET ${url.pathname}: not a JSON object`)
  return parsed
}

const loadResource = async (
  spec: ResourceSpec,
  options: { readonly baseUrl: string; readonly token: string; readonly batchPages: number },
  db: Database
): Promise<{ rows: number; pages: number }> => {
  let rows = 0
  let pages = 0
  let buffer: Array<Readonly<Record<string, unknown>>> = []
  let bufferedPages = 0
  let copying: Promise<void> = Promise.resolve()
  const flush = async () => {
    const batch = buffer
    buffer = []
    bufferedPages = 0
    await copying
    copying = db.copy(spec, copyText(spec, batch))
  }
  const url = new URL(spec.path, options.baseUrl)
  url.searchParams.set("limit", "50")
  for (;;) {
    const page = await fetchPage(url, options.token)
    const records = page[spec.dataSelector]
    if (!Array.isArray(records)) throw new Error(`GET ${spec.path}: no "${spec.dataSelector}" list`)
    for (const r of records) if (isRecord(r)) buffer.push(r)
    rows += records.length
    pages++
    bufferedPages++
    if (bufferedPages >= options.batchPages) await flush()
    if (page["hasNext"] !== true || typeof page["next"] !== "string") break
    url.searchParams.set("next", page["next"])
  }
  if (buffer.length > 0) await flush()
  await copying
  return { rows, pages }
}

export interface BaselineOptions {
  readonly baseUrl: string
  readonly token: string
  /** A Postgres server; `undefined` = a PGlite of our own. */
  readonly databaseUrl?: string | undefined
  /** PGlite folder when there is no server (`undefined` = in memory). */
  readonly dataDir?: string | undefined
  /** Pages per COPY (default 20 = 1000 records, the pipeline's default batch). */
  readonly batchPages?: number | undefined
}

export interface BaselineResult {
  readonly rows: number
  readonly pages: number
  readonly seconds: number
  /** CPU time of this process (user + system) over the same span. */
  readonly cpuSeconds: number
  readonly database: "server" | "embedded"
}

/** Loads the three resources; `seconds` covers table creation through the last COPY. */
export const runBaseline = async (options: BaselineOptions): Promise<BaselineResult> => {
  const server = options.databaseUrl !== undefined
  const schema = `bench_baseline_${Date.now().toString(36)}_${process.pid.toString(36)}`
  const db = server ? serverDatabase(options.databaseUrl ?? "", schema) : await embeddedDatabase(options.dataDir)
  try {
    const started = performance.now()
    const cpu = process.cpuUsage()
    if (server) await db.exec(`CREATE SCHEMA ${quote(db.schema)}`)
    for (const spec of resources) {
      const columns = spec.columns.map(([name, type]) => `${quote(name)} ${type}`).join(", ")
      await db.exec(`CREATE TABLE ${quote(db.schema)}.${quote(spec.table)} (${columns})`)
    }
    const opts = { baseUrl: options.baseUrl, token: options.token, batchPages: options.batchPages ?? 20 }
    const results = await Promise.all(resources.map((spec) => loadResource(spec, opts, db)))
    const seconds = (performance.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    return {
      cpuSeconds: (used.user + used.system) / 1e6,
      rows: results.reduce((n, r) => n + r.rows, 0),
      pages: results.reduce((n, r) => n + r.pages, 0),
      seconds,
      database: server ? "server" : "embedded"
    }
  } finally {
    if (server) await db.exec(`DROP SCHEMA IF EXISTS ${quote(db.schema)} CASCADE`).catch(() => undefined)
    await db.close()
  }
}


if (import.meta.filename === process.argv[1]) {
  const baseUrl = argValue("base-url")
  const token = argValue("token")
  if (baseUrl === undefined || token === undefined) {
    console.error("usage: node --import tsx bench/baseline.ts --base-url URL --token TOKEN [--batch-pages N] [--data-dir DIR]")
    process.exit(2)
  }
  const batchPages = argValue("batch-pages")
  const result = await runBaseline({
    baseUrl,
    token,
    databaseUrl: process.env["DATABASE_URL"] || undefined,
    dataDir: argValue("data-dir"),
    batchPages: batchPages === undefined ? undefined : Number(batchPages)
  })
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
  process.stdout.write(`${JSON.stringify({ ...result, peakRssMb })}\n`)
}
