/** The config as the dashboard shows it: every secret as ***, the rest as written. */
import { describe, expect, it } from "@effect/vitest"
import { Config, Redacted, Schema } from "effect"
import { maskConfig } from "../../src/internal/dashboard/configView.js"

describe("dashboard config view", () => {
  it("masks secret references, auth values, headers, credential keys and URL user info", () => {
    const shown = maskConfig({
      client: {
        base_url: "https://user:hunter2@api.example.com/v1",
        auth: { type: "api_key", name: "X-API-Key", location: "header", api_key: "inline-key-123" },
        headers: { "X-Tenant": "tenant-secret", Accept: "application/json" }
      },
      resource_defaults: { primary_key: "id", write_disposition: "merge" },
      resources: [
        "plain",
        {
          name: "items",
          endpoint: { path: "items", params: { access_token: { secret: "TOKEN" }, limit: 50, appkey: "k-999" } },
          merge_key: ["a"]
        },
        { name: "oauth", endpoint: { path: "x", auth: { type: "oauth2_client_credentials", client_id: "cid", client_secret: "cs" } } }
      ]
    })
    const text = JSON.stringify(shown)
    for (const secret of ["hunter2", "user:", "inline-key-123", "tenant-secret", "TOKEN", "k-999", "cid", "\"cs\""]) {
      expect(text, secret).not.toContain(secret)
    }
    expect(shown).toMatchObject({
      client: {
        base_url: "https://***@api.example.com/v1",
        auth: { type: "api_key", name: "X-API-Key", location: "header", api_key: "***" },
        headers: { "X-Tenant": "***", Accept: "***" }
      },
      resource_defaults: { primary_key: "id", write_disposition: "merge" },
      resources: ["plain", { name: "items", endpoint: { params: { access_token: "***", limit: 50, appkey: "***" } }, merge_key: ["a"] }, {
        name: "oauth",
        endpoint: { auth: { type: "oauth2_client_credentials", client_id: "***", client_secret: "***" } }
      }]
    })
  })

  it("masks a TypeScript config's Redacted and Config values; functions and Schemas are placeholders", () => {
    expect(maskConfig({
      token: Redacted.make("abc"),
      other: { value: Config.redacted("X") },
      step: () => 1,
      schema: Schema.Struct({ id: Schema.Number })
    })).toEqual({ token: "***", other: { value: "***" }, step: "(function)", schema: "(Schema)" })
  })
})
