/**
 * The demo API's resources, their endpoints and the shapes of their records (the HTTP contract is
 * described in `demoApi.ts`).
 */

/** The demo API's resources (named as in the seed config). */
export type DemoResource = "appointment_links" | "code_snippets" | "insights_reports"

export const DEMO_RESOURCES: ReadonlyArray<DemoResource> = ["appointment_links", "code_snippets", "insights_reports"]

/** Endpoint path (relative to the base URL `.../v1/`) and the key holding the records. */
export const DEMO_ENDPOINTS: Readonly<Record<DemoResource, { readonly path: string; readonly dataSelector: "data" | "results" }>> = {
  appointment_links: { path: "appointmentlinks/me", dataSelector: "data" },
  code_snippets: { path: "codesnippets", dataSelector: "results" },
  insights_reports: { path: "insightsreports", dataSelector: "results" }
}

export const DEMO_TOKEN = "demo-token-5f2c9e1b7a"
export const DEFAULT_ROWS = 250
export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 100

/**
 * `GET /v1/appointmentlinks/me`, records under `data`. `n = i + 1` below.
 * ```
 * id               string   "apl_000001" (zero-padded to 6 digits)          primary key
 * title            string   "Appointment link n" (+ " (rev L)")
 * description      string | null   null when n % 7 == 0
 * url              string   "https://book.example.com/apl_000001"
 * durationMinutes  integer  15 | 30 | 45 | 60
 * price            number   always with decimals, e.g. 12.34 (+ L)
 * isActive         boolean  false when n % 5 == 0
 * timezone         string | null   IANA name; null when n % 11 == 0
 * createdAt        string   RFC 3339 UTC, e.g. "2024-01-01T00:01:00Z"
 * updatedAt        string   RFC 3339 UTC
 * owner            { id: string "usr_0001", name: string, email: string }
 * tags             string[] 0..3 distinct tags; empty when n % 4 == 1
 * attendees        Array<{ name: string, email: string | null }>   0..2 items; email null for every 2nd attendee of every 3rd record
 * ```
 */
export interface AppointmentLink {
  readonly id: string
  readonly title: string
  readonly description: string | null
  readonly url: string
  readonly durationMinutes: number
  readonly price: number
  readonly isActive: boolean
  readonly timezone: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly owner: { readonly id: string; readonly name: string; readonly email: string }
  readonly tags: ReadonlyArray<string>
  readonly attendees: ReadonlyArray<{ readonly name: string; readonly email: string | null }>
}

/**
 * `GET /v1/codesnippets`, records under `results`.
 * ```
 * id           integer  n (1-based)                                        primary key
 * name         string   "snippet-n.<ext>" (+ " (rev L)")
 * language     string   typescript | python | go | rust | sql | bash
 * code         string   multi-line source with quotes, backslashes and a non-ASCII char
 * description  string | null   null when n % 7 == 0
 * version      integer  1 + L
 * isPublic     boolean  n % 2 == 0
 * sizeBytes    integer
 * score        number   always with decimals, 0.01..99.99
 * archivedAt   string | null   RFC 3339; non-null only when n % 13 == 0
 * createdAt    string   RFC 3339 UTC
 * updatedAt    string   RFC 3339 UTC
 * author       { id: integer, username: string, email: string | null }   email null when n % 6 == 0
 * tags         string[] 0..3 distinct tags; empty when n % 4 == 0
 * files        Array<{ path: string, lines: integer }>   1..3 items
 * ```
 */
export interface CodeSnippet {
  readonly id: number
  readonly name: string
  readonly language: string
  readonly code: string
  readonly description: string | null
  readonly version: number
  readonly isPublic: boolean
  readonly sizeBytes: number
  readonly score: number
  readonly archivedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly author: { readonly id: number; readonly username: string; readonly email: string | null }
  readonly tags: ReadonlyArray<string>
  readonly files: ReadonlyArray<{ readonly path: string; readonly lines: number }>
}

/**
 * `GET /v1/insightsreports`, records under `results`.
 * ```
 * id              string   "rpt_000001"                                     primary key
 * title           string   "Weekly insights n" (+ " (rev L)")
 * status          string   draft | published | archived
 * description     string | null   null when n % 7 == 0
 * periodStart     string   date only "YYYY-MM-DD" (stays text)
 * periodEnd       string   date only "YYYY-MM-DD"
 * conversionRate  number   always with decimals, 0.0001..0.9999
 * totalViews      integer  (+ 10·L)
 * isScheduled     boolean  n % 3 == 0
 * deletedAt       string | null   ALWAYS null in this dataset (a column that only ever sees null)
 * createdAt       string   RFC 3339 UTC
 * updatedAt       string   RFC 3339 UTC
 * meta            { source: string, schemaVersion: integer, owner: { id: string, name: string } | null }
 *                 meta.owner null when n % 5 == 0
 * tags            string[] 0..3 distinct tags; empty when n % 4 == 3
 * metrics         Array<{ name: string, value: number }>   2..4 items; value always with decimals
 * ```
 */
export interface InsightsReport {
  readonly id: string
  readonly title: string
  readonly status: "draft" | "published" | "archived"
  readonly description: string | null
  readonly periodStart: string
  readonly periodEnd: string
  readonly conversionRate: number
  readonly totalViews: number
  readonly isScheduled: boolean
  readonly deletedAt: string | null
  readonly createdAt: string
  readonly updatedAt: string
  readonly meta: {
    readonly source: string
    readonly schemaVersion: number
    readonly owner: { readonly id: string; readonly name: string } | null
  }
  readonly tags: ReadonlyArray<string>
  readonly metrics: ReadonlyArray<{ readonly name: string; readonly value: number }>
}

export interface DemoRecords {
  readonly appointment_links: AppointmentLink
  readonly code_snippets: CodeSnippet
  readonly insights_reports: InsightsReport
}

/** One number per resource. */
export const perResource = (n: number): Record<DemoResource, number> => ({
  appointment_links: n,
  code_snippets: n,
  insights_reports: n
})
