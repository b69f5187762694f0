/**
 * The runs the kill and backend-termination tests disturb: the demo analytics API's three
 * resources, merged, each with child tables (tags, attendees, files, metrics), two of them
 * incremental on `updatedAt` (state in `_rc_state`, committed with the rows).
 */
import { writeFile } from "node:fs/promises"
import * as path from "node:path"

const cursorPaginator = {
  type: "cursor",
  limit: 50,
  cursor_param: "next",
  stop_condition: "{{ response.get('hasNext', {}) == False }}"
}

const incremental = { cursor_path: "updatedAt", initial_value: "2000-01-01T00:00:00Z" }

export const analyticsConfig = {
  client: {
    base_url: "https://api.example.com/v1/",
    auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "ANALYTICS_API_KEY" }, location: "header" },
    retry: { max_retries: 2, backoff_factor: 0.2, jitter: 0 }
  },
  resource_defaults: { primary_key: "id", write_disposition: "merge" },
  resources: [
    {
      name: "appointment_links",
      endpoint: {
        path: "/appointmentlinks/me",
        data_selector: "data",
        params: { updated_since: "{incremental.start_value}" },
        incremental,
        paginator: cursorPaginator
      }
    },
    { name: "code_snippets", endpoint: { path: "/codesnippets", data_selector: "results", paginator: cursorPaginator } },
    {
      name: "insights_reports",
      endpoint: { path: "/insightsreports", data_selector: "results", incremental, paginator: cursorPaginator }
    }
  ]
}

/** Writes the config into `dir` and returns its path. */
export const writeAnalyticsConfig = async (dir: string): Promise<string> => {
  const file = path.join(dir, "analytics_faults.json")
  await writeFile(file, JSON.stringify(analyticsConfig, null, 2))
  return file
}
