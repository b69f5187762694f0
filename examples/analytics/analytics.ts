/**
 * The seed connector (../shared/SEED-000): a vendor-neutral analytics API, as a TypeScript
 * config. Same meaning as analytics.json, plus a Schema per resource.
 * The API key is read from the environment variable ANALYTICS_API_KEY.
 */
import { defineConfig } from "effect-rest-connector/RestApiSource"
import { AppointmentLink, CodeSnippet, InsightsReport } from "./schemas.js"

const cursorPages = {
  type: "cursor",
  limit: 50,
  cursor_param: "next",
  stop_condition: "{{ response.get('hasNext', {}) == False }}"
} as const

export default defineConfig({
  client: {
    base_url: "https://api.example.com/v1/",
    auth: {
      type: "api_key",
      name: "X-API-Token",
      api_key: { secret: "ANALYTICS_API_KEY" },
      location: "header"
    },
    // The seed's error handling: retry 429 up to 3 times, backoff factor 2 (waits 2, 4, 8 s).
    retry: { status_codes: [429], max_retries: 3, backoff_factor: 2 }
  },
  resource_defaults: {
    primary_key: "id",
    write_disposition: "merge"
  },
  resources: [
    {
      name: "appointment_links",
      endpoint: { path: "/appointmentlinks/me", data_selector: "data", paginator: cursorPages },
      schema: AppointmentLink
    },
    {
      name: "code_snippets",
      endpoint: { path: "/codesnippets", data_selector: "results", paginator: cursorPages },
      schema: CodeSnippet
    },
    {
      name: "insights_reports",
      endpoint: { path: "/insightsreports", data_selector: "results", paginator: cursorPages },
      schema: InsightsReport
    }
  ]
})
