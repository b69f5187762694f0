/**
 * Deterministic record generators: a record is computed from its index and the dataset version,
 * so a resource of 1 000 000 records costs no memory (the versions are described in `demoApi.ts`).
 */
import type { AppointmentLink, CodeSnippet, DemoRecords, DemoResource, InsightsReport } from "./demoResources.js"

const BASE_MS = Date.UTC(2024, 0, 1)
const VERSION_BASE_MS = Date.UTC(2030, 0, 1)
const DAY_MS = 86_400_000

const TAGS = ["sales", "demo", "onboarding", "support", "priority", "beta"]
const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus"]
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Wirth"]
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"]
const LANGS: ReadonlyArray<readonly [string, string]> = [
  ["typescript", "ts"],
  ["python", "py"],
  ["go", "go"],
  ["rust", "rs"],
  ["sql", "sql"],
  ["bash", "sh"]
]
const STATUSES: ReadonlyArray<InsightsReport["status"]> = ["draft", "published", "archived"]
const METRICS = ["sessions", "bounceRate", "avgDuration", "revenue"]

const pad = (n: number, width: number): string => String(n).padStart(width, "0")
const rfc3339 = (ms: number): string => new Date(ms).toISOString().slice(0, 19) + "Z"
const dateOnly = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** The last version `<= version` at which record `i` changed (0: never). */
export const lastChange = (i: number, version: number): number => {
  const k = version - ((version + i) % 4)
  return k >= 1 ? k : 0
}

const createdAtMs = (i: number): number => BASE_MS + i * 60_000
const updatedAtMs = (i: number, rev: number): number =>
  rev === 0 ? createdAtMs(i) + 30 * 60_000 : VERSION_BASE_MS + rev * DAY_MS + (i % 86_400) * 1000
const revSuffix = (rev: number): string => (rev === 0 ? "" : ` (rev ${rev})`)
/** A number with 1..2 decimals that is never an integer: `whole + cents/100` with cents in 1..99. */
const decimal = (whole: number, seed: number): number => (whole * 100 + 1 + (seed % 99)) / 100
const tagsFor = (i: number): Array<string> => {
  const count = i % 4
  const out: Array<string> = []
  for (let k = 0; k < count; k++) out.push(TAGS[(i + k * 2) % TAGS.length])
  return out
}
const person = (j: number) => {
  const first = FIRST[j % FIRST.length]
  const last = LAST[Math.floor(j / FIRST.length) % LAST.length]
  return { name: `${first} ${last}`, email: `${first.toLowerCase()}.${last.toLowerCase()}${j}@example.com` }
}

export const appointmentLinkAt = (i: number, version = 0): AppointmentLink => {
  const n = i + 1
  const rev = lastChange(i, version)
  const id = `apl_${pad(n, 6)}`
  const ownerIdx = i % 37
  const owner = person(ownerIdx)
  const attendees: Array<{ name: string; email: string | null }> = []
  for (let k = 0; k < i % 3; k++) {
    const p = person(i * 3 + k)
    attendees.push({ name: p.name, email: k === 1 && n % 3 === 0 ? null : p.email })
  }
  return {
    id,
    title: `Appointment link ${n}${revSuffix(rev)}`,
    description: n % 7 === 0 ? null : `Book a ${[15, 30, 45, 60][i % 4]}-minute call with ${owner.name}`,
    url: `https://book.example.com/${id}`,
    durationMinutes: [15, 30, 45, 60][i % 4],
    price: decimal(10 + (i % 90) + rev, i * 37),
    isActive: n % 5 !== 0,
    timezone: n % 11 === 0 ? null : ZONES[i % ZONES.length],
    createdAt: rfc3339(createdAtMs(i)),
    updatedAt: rfc3339(updatedAtMs(i, rev)),
    owner: { id: `usr_${pad(ownerIdx + 1, 4)}`, name: owner.name, email: owner.email },
    tags: tagsFor(i),
    attendees
  }
}

export const codeSnippetAt = (i: number, version = 0): CodeSnippet => {
  const n = i + 1
  const rev = lastChange(i, version)
  const [language, ext] = LANGS[i % LANGS.length]
  const code = `// snippet ${n} — "quoted" and 'single'\nconst path = "C:\\\\tmp\\\\${n}"\nprint(\`${n * 7}\`)\n`
  const authorIdx = i % 23
  const author = person(authorIdx + 100)
  const files: Array<{ path: string; lines: number }> = []
  for (let k = 0; k <= i % 3; k++) files.push({ path: `src/file${k}.${ext}`, lines: 10 + ((i * 7 + k * 13) % 500) })
  return {
    id: n,
    name: `snippet-${n}.${ext}${revSuffix(rev)}`,
    language,
    code,
    description: n % 7 === 0 ? null : `A ${language} snippet number ${n}`,
    version: 1 + rev,
    isPublic: n % 2 === 0,
    sizeBytes: code.length * 2 + (i % 1000),
    score: decimal(i % 100, i * 13),
    archivedAt: n % 13 === 0 ? rfc3339(createdAtMs(i) + 7 * DAY_MS) : null,
    createdAt: rfc3339(createdAtMs(i)),
    updatedAt: rfc3339(updatedAtMs(i, rev)),
    author: { id: authorIdx + 1, username: author.name.toLowerCase().replace(" ", "_"), email: n % 6 === 0 ? null : author.email },
    tags: tagsFor(i + 1),
    files
  }
}

export const insightsReportAt = (i: number, version = 0): InsightsReport => {
  const n = i + 1
  const rev = lastChange(i, version)
  const periodStartMs = BASE_MS + (i % 700) * DAY_MS
  const metrics: Array<{ name: string; value: number }> = []
  for (let k = 0; k < 2 + (i % 3); k++) metrics.push({ name: METRICS[k], value: decimal((i * (k + 3)) % 1000, i + k) })
  const ownerIdx = i % 19
  return {
    id: `rpt_${pad(n, 6)}`,
    title: `Weekly insights ${n}${revSuffix(rev)}`,
    status: STATUSES[i % STATUSES.length],
    description: n % 7 === 0 ? null : `Insights for week ${(i % 52) + 1}`,
    periodStart: dateOnly(periodStartMs),
    periodEnd: dateOnly(periodStartMs + 6 * DAY_MS),
    conversionRate: (1 + ((i * 7919) % 9999)) / 10_000,
    totalViews: ((i * 131) % 100_000) + rev * 10,
    isScheduled: n % 3 === 0,
    deletedAt: null,
    createdAt: rfc3339(createdAtMs(i)),
    updatedAt: rfc3339(updatedAtMs(i, rev)),
    meta: {
      source: i % 2 === 0 ? "web" : "mobile",
      schemaVersion: 2,
      owner: n % 5 === 0 ? null : { id: `usr_${pad(ownerIdx + 1, 4)}`, name: person(ownerIdx + 200).name }
    },
    tags: tagsFor(i + 2),
    metrics
  }
}

/** The record at 0-based `index` of `resource` in dataset `version` (what the API serves). */
export const recordAt = <R extends DemoResource>(resource: R, index: number, version = 0): DemoRecords[R] => {
  const generators: { readonly [K in DemoResource]: (i: number, v: number) => DemoRecords[K] } = {
    appointment_links: appointmentLinkAt,
    code_snippets: codeSnippetAt,
    insights_reports: insightsReportAt
  }
  return generators[resource](index, version)
}

/** `recordAt` for the server's page loop: no table of generators built per record. */
export const generate = (resource: DemoResource, i: number, version: number): unknown =>
  resource === "appointment_links"
    ? appointmentLinkAt(i, version)
    : resource === "code_snippets"
    ? codeSnippetAt(i, version)
    : insightsReportAt(i, version)
