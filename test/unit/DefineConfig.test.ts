/**
 * What the compiler checks in a TypeScript config. These tests pass when the file compiles
 * (`npm run typecheck`, run by CI): each `@ts-expect-error` must meet an error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as RestApiSource from "../../src/RestApiSource.js"

const defineConfig = RestApiSource.defineConfig

describe("defineConfig", () => {
  it("keeps resource names and Schema types (compile-time check)", () => {
    const Item = Schema.Struct({ id: Schema.Number, name: Schema.NullOr(Schema.String) })
    const config = defineConfig({
      client: { base_url: "https://api.test/", paginator: "single_page" },
      resources: [{ name: "items", schema: Item }, "plain"]
    })
    type Names = RestApiSource.ResourceName<typeof config>
    const names: ReadonlyArray<Names> = ["items", "plain"]
    type ItemRecord = RestApiSource.RecordOf<typeof config, "items">
    const record: ItemRecord = { id: 1, name: null }
    expect(names).toHaveLength(2)
    expect(record.id).toBe(1)
  })
})

describe("defineConfig rejects what the config contract does not have", () => {
  it("misspelt keys at any depth are compile errors; unknown-keyed values (params, json) are free", () => {
    const ok = defineConfig({
      client: { base_url: "https://api.test/", timeout: 30, paginator: { type: "cursor", cursor_param: "after" } },
      resource_defaults: { primary_key: "id", endpoint: { params: { any_param: 1, other: "x" } } },
      resources: [{ name: "a", endpoint: { path: "a", json: { free: { form: [1, 2] } }, data_selector: "data" } }]
    })
    defineConfig({
      // @ts-expect-error client.timeot is not a key
      client: { base_url: "https://api.test/", timeot: 3 },
      resources: ["a"]
    })
    defineConfig({
      client: { base_url: "https://api.test/" },
      // @ts-expect-error data_selecter is not a key of an endpoint
      resources: [{ name: "a", endpoint: { path: "a", data_selecter: "data" } }]
    })
    defineConfig({
      client: { base_url: "https://api.test/" },
      // @ts-expect-error primary_kee is not a key of a resource
      resources: [{ name: "a", primary_kee: "id" }]
    })
    defineConfig({
      client: { base_url: "https://api.test/", paginator: { type: "offset", limit: 10, total_path: null } },
      resource_defaults: { endpoint: { paginator: { type: "cursor", cursor_param: "after" } } },
      // @ts-expect-error cursor_parm is not a key of the cursor paginator
      resources: [{ name: "a", endpoint: { paginator: { type: "cursor", cursor_parm: "x" } } }]
    })
    expect(ok.resources).toHaveLength(1)
  })

  it("a child's record type has the columns include_from_parent adds, typed from the parent's Schema", () => {
    const Repo = Schema.Struct({ id: Schema.Number, name: Schema.String })
    const config = defineConfig({
      client: { base_url: "https://api.test/" },
      resources: [
        { name: "repos", schema: Repo },
        { name: "issues", endpoint: { path: "repos/{resources.repos.name}/issues" }, include_from_parent: ["id", "name"] }
      ]
    })
    type Issue = RestApiSource.RecordOf<typeof config, "issues">
    const issue: Issue = { _repos_id: 1, _repos_name: "effect", title: "anything else is JSON" }
    const id: number = issue._repos_id
    // @ts-expect-error the parent's name is a string
    const wrong: number = issue._repos_name
    expect([id, wrong]).toEqual([1, "effect"])
  })
})
