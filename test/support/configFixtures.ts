/** Configs the config tests share: the seed connector as dlt writes it, and helpers. */
import { Either } from "effect"
import type { ConfigError } from "../../src/internal/config/configError.js"
import { resolveConfig } from "../../src/internal/config/resolve.js"

export const seed = {
  client: {
    base_url: "https://api.example.com/v1/",
    auth: { type: "api_key", name: "X-API-Token", api_key: { secret: "API_KEY" }, location: "header" }
  },
  resource_defaults: { primary_key: "id", write_disposition: "merge" },
  resources: [
    {
      name: "appointment_links",
      endpoint: {
        path: "/appointmentlinks/me",
        data_selector: "data",
        paginator: {
          type: "cursor",
          limit: 50,
          cursor_param: "next",
          stop_condition: "{{ response.get('hasNext', {}) == False }}"
        }
      }
    }
  ]
}

export const errorOf = (input: unknown): ConfigError => {
  const result = resolveConfig(input)
  if (Either.isRight(result)) throw new Error("expected a config error")
  return result.left
}

export const withResources = (resources: ReadonlyArray<unknown>, client: Record<string, unknown> = {}) => ({
  client: { base_url: "https://api.test/", paginator: "single_page", ...client },
  resources
})

