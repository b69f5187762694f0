/**
 * The GitHub-like style (`bases.github`): bearer auth, `Link` header paging, a `since` filter, a
 * repo whose issues answer 404, and `X-RateLimit-*` headers.
 *
 * Auth `Authorization: Bearer <githubToken>` (or `token <t>`), else `401 {"message":"Bad credentials"}`;
 * every answer carries `X-RateLimit-Limit: 5000`, `X-RateLimit-Remaining`, `X-RateLimit-Used`,
 * `X-RateLimit-Reset` (epoch seconds):
 * - `GET user/repos?per_page=30&page=1` → `GithubRepo[]` in id order. `per_page` is clamped to 100.
 * - `GET repos/{owner}/{repo}` → one `GithubRepo` (404 when unknown).
 * - `GET repos/{owner}/{repo}/issues?per_page=30&page=1&state=open|closed|all&since=<ISO>&sort=created|updated&direction=desc|asc`
 *   → `GithubIssue[]`; defaults as GitHub: `state=open`, `sort=created`, `direction=desc`; `since`
 *   keeps `updated_at >= since` (an invalid date → `422 {"message":"Validation Failed"}`).
 *   Repos in `missingIssuesRepos` and unknown repos → `404 {"message":"Not Found"}`.
 * - Paging: `Link: <abs-url>; rel="next", <abs-url>; rel="last"` (plus `rel="prev"`, `rel="first"`
 *   after page 1), URLs keep every other query param; no `rel="next"` on the last page; no
 *   `Link` header at all when everything fits on one page.
 */
import { HOUR, isoFrom, isoOf, latest } from "./parityDates.js"
import { bearerOf, json, methodNotAllowed, type ParityStyle, positiveInt, range, type Reply, type Req } from "./parityHttp.js"

export const PARITY_GITHUB_TOKEN = "ghp_parity_token_0001"
export const PARITY_GITHUB_OWNER = "parity-org"

export interface GithubOptions {
  /** GitHub: accepted bearer token. Default `PARITY_GITHUB_TOKEN`. */
  readonly githubToken?: string
  /** GitHub: number of repos `repo-1..repo-N` of owner `PARITY_GITHUB_OWNER`. Default 7. */
  readonly repos?: number
  /** GitHub: issues of repo k (1-based). Default `k => 3 * k`. */
  readonly issuesPerRepo?: (k: number) => number
  /** GitHub: repos (by name) whose issues endpoint answers 404. Default `["repo-3"]`. */
  readonly missingIssuesRepos?: ReadonlyArray<string>
}

export interface GithubRepo {
  readonly id: number
  readonly name: string
  readonly full_name: string
  readonly owner: { readonly login: string }
  readonly updated_at: string
}

export interface GithubIssue {
  readonly id: number
  readonly number: number
  readonly title: string
  readonly state: "open" | "closed"
  readonly created_at: string
  readonly updated_at: string
  readonly labels: ReadonlyArray<{ readonly name: string }>
  readonly user: { readonly login: string }
}

export const githubRepoAt = (k: number): GithubRepo => ({
  id: 1000 + k,
  name: `repo-${k}`,
  full_name: `${PARITY_GITHUB_OWNER}/repo-${k}`,
  owner: { login: PARITY_GITHUB_OWNER },
  updated_at: isoOf(Date.UTC(2024, 5, k, 12))
})

/** Issue `n` (1-based) of repo `k`: updated 2024-01-(1+n) at k:00 UTC, created n hours after 2023-12-31. */
export const githubIssueAt = (k: number, n: number): GithubIssue => {
  const labels: Array<{ name: string }> = []
  if (n % 2 === 0) labels.push({ name: "bug" })
  if (n % 5 === 0) labels.push({ name: "enhancement" })
  return {
    id: k * 100_000 + n,
    number: n,
    title: `Issue ${n} of repo-${k}`,
    state: n % 3 === 0 ? "closed" : "open",
    created_at: isoOf(Date.UTC(2023, 11, 31) + n * HOUR),
    updated_at: isoOf(Date.UTC(2024, 0, 1 + n, k)),
    labels,
    user: { login: `user${n % 4}` }
  }
}

const linkHeader = (url: URL, origin: string, page: number, lastPage: number): string | undefined => {
  if (lastPage <= 1) return undefined
  const at = (p: number) => {
    const u = new URL(url.pathname + url.search, origin)
    u.searchParams.set("page", String(p))
    return `<${u.toString()}>`
  }
  const parts: Array<string> = []
  if (page > 1) parts.push(`${at(Math.min(page - 1, lastPage))}; rel="prev"`)
  if (page < lastPage) parts.push(`${at(page + 1)}; rel="next"`)
  parts.push(`${at(lastPage)}; rel="last"`)
  if (page > 1) parts.push(`${at(1)}; rel="first"`)
  return parts.join(", ")
}

const githubPage = <A>(req: Req, all: ReadonlyArray<A>, extra: Record<string, string>): Reply => {
  const perPage = positiveInt(req.url, "per_page", 30)
  const page = positiveInt(req.url, "page", 1)
  if (perPage === undefined || page === undefined) return json(422, { message: "Validation Failed" }, extra)
  const size = Math.min(perPage, 100)
  const lastPage = Math.max(1, Math.ceil(all.length / size))
  const link = linkHeader(req.url, req.origin, page, lastPage)
  const headers = link === undefined ? extra : { ...extra, link }
  return json(200, all.slice((page - 1) * size, page * size), headers)
}

export class GithubStyle implements ParityStyle {
  readonly prefix = "/github"
  readonly token: string
  /** Requests counted against the rate limit since start (no reset clears it). */
  rateLimitUsed = 0
  private readonly repoCount: number
  private readonly issuesPerRepo: (k: number) => number
  private readonly missingIssues: ReadonlySet<string>
  private readonly rateLimitReset = Math.floor(Date.now() / 1000) + 3600
  private repos: Array<GithubRepo> = []
  private issuesByRepo = new Map<string, Array<GithubIssue>>()

  constructor(options: GithubOptions) {
    this.token = options.githubToken ?? PARITY_GITHUB_TOKEN
    this.repoCount = options.repos ?? 7
    this.issuesPerRepo = options.issuesPerRepo ?? ((k: number) => 3 * k)
    this.missingIssues = new Set(options.missingIssuesRepos ?? ["repo-3"])
    this.reset()
  }

  readonly reset = (): void => {
    this.repos = []
    this.issuesByRepo = new Map()
    range(this.repoCount, (k) => {
      const repo = githubRepoAt(k)
      this.repos.push(repo)
      const list: Array<GithubIssue> = []
      range(this.issuesPerRepo(k), (n) => list.push(githubIssueAt(k, n)))
      this.issuesByRepo.set(repo.name, list)
    })
  }

  readonly handle = (req: Req, rest: string): Reply => {
    this.rateLimitUsed++
    const rate = {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": String(Math.max(0, 5000 - this.rateLimitUsed)),
      "x-ratelimit-used": String(this.rateLimitUsed),
      "x-ratelimit-reset": String(this.rateLimitReset)
    }
    if (bearerOf(req.headers) !== this.token) return json(401, { message: "Bad credentials" }, rate)
    if (rest === "/user/repos") {
      if (req.method !== "GET") return methodNotAllowed("GET")
      return githubPage(req, this.repos, rate)
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?\/?$/.exec(rest)
    if (m === null) return json(404, { message: "Not Found" }, rate)
    if (req.method !== "GET") return methodNotAllowed("GET")
    const owner = decodeURIComponent(m[1])
    const name = decodeURIComponent(m[2])
    const repo = this.repos.find((r) => r.owner.login === owner && r.name === name)
    if (repo === undefined) return json(404, { message: "Not Found" }, rate)
    if (m[3] === undefined) return json(200, repo, rate)
    if (this.missingIssues.has(repo.name)) return json(404, { message: "Not Found" }, rate)
    const state = req.url.searchParams.get("state") ?? "open"
    const sort = req.url.searchParams.get("sort") ?? "created"
    const direction = req.url.searchParams.get("direction") ?? "desc"
    const sinceRaw = req.url.searchParams.get("since")
    const since = sinceRaw === null ? undefined : Date.parse(sinceRaw)
    if (
      !["open", "closed", "all"].includes(state) || !["created", "updated"].includes(sort) ||
      !["asc", "desc"].includes(direction) || (since !== undefined && Number.isNaN(since))
    ) return json(422, { message: "Validation Failed" }, rate)
    const key = (i: GithubIssue) => Date.parse(sort === "updated" ? i.updated_at : i.created_at)
    const selected = (this.issuesByRepo.get(repo.name) ?? [])
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => since === undefined || Date.parse(i.updated_at) >= since)
      .sort((a, b) => (key(a) - key(b) || a.number - b.number) * (direction === "asc" ? 1 : -1))
    return githubPage(req, selected, rate)
  }

  readonly repoList = (): ReadonlyArray<GithubRepo> => [...this.repos]

  readonly issues = (repo: string): ReadonlyArray<GithubIssue> => [...this.repoIssues(repo)]

  /** Sets `updated_at` of the given issues (and toggles their state open <-> closed when `toggleState`). */
  readonly touchIssues = (repo: string, numbers: ReadonlyArray<number>, at: string | Date, toggleState = false): void => {
    const list = this.repoIssues(repo)
    const updated_at = isoFrom(at)
    for (const n of numbers) {
      const idx = list.findIndex((i) => i.number === n)
      if (idx < 0) throw new Error(`unknown issue ${repo}#${n}`)
      const old = list[idx]
      const state = toggleState ? (old.state === "open" ? "closed" : "open") : old.state
      list[idx] = { ...old, state, updated_at }
    }
  }

  /** Appends `n` issues to a repo; updated_at = `at` or one hour after the repo's latest updated_at, each. */
  readonly addIssues = (repo: string, n: number, at?: string | Date): ReadonlyArray<GithubIssue> => {
    const list = this.repoIssues(repo)
    const k = this.repos.findIndex((r) => r.name === repo) + 1
    const added: Array<GithubIssue> = []
    let last = latest(list.map((i) => i.updated_at))
    range(n, () => {
      const number = list.reduce((m, i) => Math.max(m, i.number), 0) + 1
      last = at === undefined ? last + HOUR : Date.parse(isoFrom(at))
      const issue = { ...githubIssueAt(k, number), updated_at: isoOf(last) }
      list.push(issue)
      added.push(issue)
    })
    return added
  }

  private repoIssues(repo: string): Array<GithubIssue> {
    const list = this.issuesByRepo.get(repo)
    if (list === undefined) throw new Error(`unknown repo: ${repo}`)
    return list
  }
}
