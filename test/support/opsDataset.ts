/**
 * A dataset loaded through the real CLI from the demo API on loopback, by several runs: the
 * fixture of the run-document and dashboard tests. Links (merge), snippets (incremental) and
 * reports per link (a child resource with a cursor per parent record).
 */
import { writeFile } from "node:fs/promises"
import * as path from "node:path"
import type { DemoApi } from "../../src/cli/demo/demoApi.js"
import { type CliResult, runCli } from "./runCli.js"

export const OPS_TOKEN = "tok-dash-7c21"

const paginator = { type: "cursor", limit: 50, cursor_param: "next", stop_condition: "{{ response.get('hasNext', {}) == False }}" }
export const incremental = { cursor_path: "updatedAt", initial_value: "2000-01-01T00:00:00Z" }

export const opsConfig = (baseUrl: string) => ({
  client: {
    base_url: baseUrl,
    auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "ANALYTICS_API_KEY" }, location: "header" }
  },
  resource_defaults: { primary_key: "id", write_disposition: "merge", endpoint: { paginator } },
  resources: [
    { name: "links", endpoint: { path: "/appointmentlinks/me", data_selector: "data" } },
    { name: "snippets", endpoint: { path: "/codesnippets", data_selector: "results", incremental } },
    {
      name: "link_reports",
      write_disposition: "append",
      endpoint: { path: "/insightsreports", data_selector: "results", params: { owner: "{resources.links.id}" }, incremental }
    }
  ]
})

export const writeOpsConfig = async (dir: string, api: DemoApi): Promise<string> => {
  const file = path.join(dir, "ops.json")
  await writeFile(file, JSON.stringify(opsConfig(api.baseUrl), null, 2))
  return file
}

/** The server when TEST_DATABASE_URL is set (and `server` asks for it), else the embedded database in `dir`. */
export const storageArgs = (server: boolean, dir: string): ReadonlyArray<string> =>
  server ? ["--database-url", process.env["TEST_DATABASE_URL"] ?? ""] : ["--data-dir", path.join(dir, "db")]

/** `run --json` of the config into the dataset; `token` replaces the API key (a wrong one fails every resource). */
export const runOps = (config: string, dataset: string, storage: ReadonlyArray<string>, token = OPS_TOKEN): Promise<CliResult> =>
  runCli(["run", config, "--json", "--dataset", dataset, ...storage], { ANALYTICS_API_KEY: token })
