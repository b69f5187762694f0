import { assert, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { fromSpec } from "../../src/internal/paginate/fromSpec.js"
import { resolveConfig } from "../../src/internal/config/resolve.js"
import { errorOf, seed, withResources } from "../support/configFixtures.js"

describe("config decoding", () => {
  it("accepts the seed connector as written", () => {
    const result = resolveConfig(seed)
    assert(Either.isRight(result))
    const [resource] = result.right.resources
    expect(resource.name).toBe("appointment_links")
    expect(resource.primaryKey).toEqual(["id"])
    expect(resource.writeDisposition).toBe("merge")
    expect(fromSpec(resource.paginator).type).toBe("cursor")
    expect(resource.dataSelector?.source).toBe("data")
  })

  it("names the path of an unknown paginator type", () => {
    const error = errorOf(withResources([{ name: "a" }, { name: "b", endpoint: { paginator: { type: "cursr" } } }]))
    expect(error.issues).toHaveLength(1)
    expect(error.issues[0].path).toBe("resources[1].endpoint.paginator.type")
    expect(error.issues[0].message).toContain("\"cursor\"")
    expect(error.message).toContain("resources[1].endpoint.paginator.type: Expected")
  })

  it("rejects unknown keys, naming them", () => {
    const error = errorOf(withResources([{ name: "a", endpoint: { path: "a", paginator: { type: "cursor", cursor_parm: "x" } } }]))
    expect(error.issues[0].path).toBe("resources[0].endpoint.paginator.cursor_parm")
    expect(error.issues[0].message).toMatch(/unknown key/)
  })

  it("reports every problem at once", () => {
    const error = errorOf({ client: { base_url: 3 }, resources: [{ name: 1 }, { nme: "x" }] })
    const paths = error.issues.map((i) => i.path)
    expect(paths).toContain("client.base_url")
    expect(paths).toContain("resources[0].name")
    expect(paths).toContain("resources[1].nme")
  })

  it("recognises later keys and refuses them clearly", () => {
    const error = errorOf(withResources([
      { name: "a", table_format: "iceberg", file_format: "parquet" },
      { name: "b", nested_hints: {} }
    ]))
    const byPath = new Map(error.issues.map((i) => [i.path, i.message]))
    expect(byPath.get("resources[0].table_format")).toMatch(/cannot apply to Postgres/)
    expect(byPath.get("resources[0].file_format")).toMatch(/not supported yet/)
    expect(byPath.get("resources[1].nested_hints")).toMatch(/not supported yet/)
  })

  it("data_type date, time and binary are Postgres date, time and bytea; decimal and wei numeric", () => {
    const result = resolveConfig(withResources([{
      name: "a",
      columns: {
        day: { data_type: "date" },
        at: { data_type: "time" },
        blob: { data_type: "binary" },
        amount: { data_type: "decimal" },
        balance: { data_type: "wei" }
      }
    }]))
    assert(Either.isRight(result))
    expect(result.right.resources[0]?.columnHints.map((h) => [h.name, h.dataType])).toEqual([
      ["day", "date"],
      ["at", "time"],
      ["blob", "binary"],
      ["amount", "numeric"],
      ["balance", "numeric"]
    ])
  })

  it("incremental window: a duration or a number; refused on a child, or when it is neither", () => {
    const ok = resolveConfig(withResources([
      { name: "a", endpoint: { path: "a", incremental: { cursor_path: "t", initial_value: "2024-01-01T00:00:00Z", window: "7 days" } } },
      { name: "b", endpoint: { path: "b", incremental: { cursor_path: "n", initial_value: 0, end_value: 100, window: 25 } } }
    ]))
    assert(Either.isRight(ok))
    expect(ok.right.resources.map((r) => r.incremental?.window)).toEqual([
      { _tag: "Duration", millis: 7 * 86_400_000 },
      { _tag: "Number", size: 25 }
    ])
    const error = errorOf(withResources([
      { name: "p" },
      { name: "c", endpoint: { path: "p/{resources.p.id}/c", incremental: { cursor_path: "t", initial_value: "2024-01-01", window: "1 day" } } },
      { name: "d", endpoint: { path: "d", incremental: { cursor_path: "t", window: "a fortnight" } } },
      { name: "e", endpoint: { path: "e", incremental: { cursor_path: "t", window: 0 } } }
    ]))
    const byPath = new Map(error.issues.map((i) => [i.path, i.message]))
    expect(byPath.get("resources[1].endpoint.incremental.window")).toMatch(/top-level resources/)
    expect(byPath.get("resources[2].endpoint.incremental.window")).toMatch(/expected a duration such as "7 days"/)
    expect(byPath.get("resources[3].endpoint.incremental.window")).toMatch(/must be positive/)
  })

  it("form bodies: fields, pairs or raw text; never together with json", () => {
    const result = resolveConfig(withResources([
      { name: "a", endpoint: { path: "a", method: "POST", data: { q: "{resources.p.id}", n: 1 } } },
      { name: "p" }
    ]))
    assert(Either.isRight(result))
    const form = result.right.resources[0]?.form
    assert(form?._tag === "Fields")
    expect(form.fields.map(([k, t]) => [k, t.source])).toEqual([["q", "{resources.p.id}"], ["n", "1"]])
    expect(result.right.resources[0]?.parent).toBe("p")

    const error = errorOf(withResources([
      { name: "a", endpoint: { path: "a", method: "POST", data: { q: 1 }, json: { q: 1 } } },
      { name: "b", endpoint: { path: "b", method: "POST", data: [["only-a-name"]] } },
      { name: "c", endpoint: { path: "c", method: "POST", data: { q: { nested: true } } } }
    ]))
    const byPath = new Map(error.issues.map((i) => [i.path, i.message]))
    expect(byPath.get("resources[0].endpoint.data")).toMatch(/exclude each other/)
    expect(byPath.get("resources[1].endpoint.data[0]")).toMatch(/\[name, value\] pair/)
    expect(byPath.get("resources[2].endpoint.data.q")).toMatch(/string, number or boolean/)
  })

  it("scd2 options: validity column names, active record and boundary timestamps", () => {
    const result = resolveConfig(withResources([{
      name: "a",
      write_disposition: {
        disposition: "merge",
        strategy: "scd2",
        validity_column_names: ["valid_from", "valid_until"],
        active_record_timestamp: "9999-12-31",
        boundary_timestamp: 1_700_000_000,
        row_version_column_name: "version"
      }
    }, { name: "b", write_disposition: { disposition: "merge", strategy: "scd2" } }]))
    assert(Either.isRight(result))
    expect(result.right.resources[0]?.scd2).toEqual({
      validFrom: "valid_from",
      validTo: "valid_until",
      activeTo: "9999-12-31T00:00:00.000Z",
      boundary: "2023-11-14T22:13:20.000Z",
      rowVersionColumn: "version"
    })
    expect(result.right.resources[1]?.scd2).toBeUndefined()

    const error = errorOf(withResources([
      { name: "a", write_disposition: { disposition: "merge", strategy: "scd2", validity_column_names: ["only"] } },
      { name: "b", write_disposition: { disposition: "merge", strategy: "scd2", active_record_timestamp: "someday" } },
      { name: "c", primary_key: "id", write_disposition: { disposition: "merge", boundary_timestamp: "2024-01-01" } }
    ]))
    const byPath = new Map(error.issues.map((i) => [i.path, i.message]))
    expect(byPath.get("resources[0].write_disposition.validity_column_names")).toMatch(/two different column names/)
    expect(byPath.get("resources[1].write_disposition.active_record_timestamp")).toMatch(/expected a timestamp.*"someday"/)
    expect(byPath.get("resources[2].write_disposition.boundary_timestamp")).toMatch(/only to the scd2 merge strategy/)
  })

  it("merge strategies, merge keys, column hints and schema contracts", () => {
    const result = resolveConfig(withResources([
      { name: "a", write_disposition: "merge", primary_key: "id" },
      { name: "b", write_disposition: { disposition: "merge", strategy: "scd2" } },
      {
        name: "c",
        write_disposition: { disposition: "merge", strategy: "delete-insert" },
        merge_key: "day",
        columns: { id: { primary_key: true }, deleted: { hard_delete: true }, updated: { dedup_sort: "desc", data_type: "timestamp" } },
        schema_contract: { columns: "freeze" }
      }
    ]))
    assert(Either.isRight(result))
    const [a, b, c] = result.right.resources
    expect(a.mergeStrategy).toBe("delete-insert") // dlt's default
    expect(b.mergeStrategy).toBe("scd2")
    expect(c.primaryKey).toEqual(["id"])
    expect(c.mergeKey).toEqual(["day"])
    expect(c.columnHints.find((h) => h.name === "updated")).toMatchObject({ dataType: "timestamptz", dedupSort: "desc" })
    expect(c.contract).toEqual({ tables: "evolve", columns: "freeze", dataType: "evolve" })
    const upsertWithKey = errorOf(withResources([
      { name: "x", primary_key: "id", merge_key: "day", write_disposition: { disposition: "merge", strategy: "upsert" } }
    ]))
    expect(upsertWithKey.issues[0].message).toMatch(/upsert strategy takes no merge_key/)
  })

  it("accepts oauth2_client_credentials and api_key in a cookie", () => {
    const result = resolveConfig(withResources(["a"], {
      auth: { type: "oauth2_client_credentials", access_token_url: "https://x/token", client_id: "id", client_secret: "s" }
    }))
    assert(Either.isRight(result))
    expect(result.right.client.auth?._tag).toBe("OAuth2ClientCredentials")
    const cookie = resolveConfig(withResources(["a"], { auth: { type: "api_key", api_key: "k", location: "cookie" } }))
    assert(Either.isRight(cookie))
  })

  it("parent/child: one parent per resource, placeholders checked at config time", () => {
    const two = errorOf(withResources([
      "a",
      "b",
      { name: "c", endpoint: { path: "x/{resources.a.id}/{resources.b.id}" } }
    ]))
    expect(two.issues[0].message).toMatch(/one parent.*'a' and 'b'/)
    const unknown = errorOf(withResources([{ name: "c", endpoint: { path: "x/{id}" } }]))
    expect(unknown.issues[0].path).toBe("resources[0].endpoint.path")
    expect(unknown.issues[0].message).toMatch(/unknown placeholder '\{id\}'/)
    const unknownParent = errorOf(withResources([{ name: "c", endpoint: { path: "x/{resources.nope.id}" } }]))
    expect(unknownParent.issues[0].message).toMatch(/names no resource of this config/)
    const cycle = errorOf(withResources([
      { name: "a", endpoint: { path: "a/{resources.b.id}" } },
      { name: "b", endpoint: { path: "b/{resources.a.id}" } }
    ]))
    expect(cycle.issues[0].message).toMatch(/cycle: a → b → a/)
    const noIncremental = errorOf(withResources([{ name: "c", endpoint: { params: { since: "{incremental.start_value}" } } }]))
    expect(noIncremental.issues[0].message).toMatch(/need an 'incremental'/)
  })

  it("parses stop_condition at config time: syntax errors and unknown names are config errors", () => {
    const bad = errorOf(withResources([{
      name: "a",
      endpoint: { paginator: { type: "cursor", stop_condition: "{{ respons.get('hasNext') == False }}" } }
    }]))
    expect(bad.issues[0].path).toBe("resources[0].endpoint.paginator.stop_condition")
    expect(bad.issues[0].message).toMatch(/respons/)
    const syntax = errorOf(withResources([{ name: "a", endpoint: { paginator: { type: "cursor", stop_condition: "{{ (a }}" } } }]))
    expect(syntax.issues[0].path).toBe("resources[0].endpoint.paginator.stop_condition")
  })

  it("refuses a range paginator that could never stop, and offset without limit", () => {
    const never = errorOf(withResources([{
      name: "a",
      endpoint: { paginator: { type: "page_number", total_path: null, stop_after_empty_page: false } }
    }]))
    expect(never.issues[0].message).toMatch(/could never stop/)
    const offset = errorOf(withResources([{ name: "a", endpoint: { paginator: "offset" } }]))
    expect(offset.issues[0].message).toMatch(/needs 'limit'/)
  })

  it("needs a primary key for merge, and refuses duplicate names", () => {
    const error = errorOf(withResources([{ name: "a", write_disposition: "merge" }, "a"]))
    const paths = error.issues.map((i) => i.path)
    expect(paths).toEqual(expect.arrayContaining(["resources[0].primary_key", "resources[1].name"]))
  })

  it("no paginator means dlt's auto-detection", () => {
    const result = resolveConfig({ client: { base_url: "https://api.test/" }, resources: ["a"] })
    assert(Either.isRight(result))
    expect(fromSpec(result.right.resources[0].paginator).type).toBe("auto")
  })

  it("a string resource is name, path and table at once", () => {
    const result = resolveConfig(withResources(["users"]))
    assert(Either.isRight(result))
    expect(result.right.resources[0]).toMatchObject({ name: "users", tableName: "users" })
    expect(result.right.resources[0].path.source).toBe("users")
  })

  it("parses every paginator with its parameters", () => {
    const result = resolveConfig(withResources([
      { name: "a", endpoint: { paginator: { type: "json_link", next_url_path: "links.next" } } },
      { name: "b", endpoint: { paginator: { type: "offset", limit: 10, total_path: null, maximum_offset: 100 } } },
      { name: "c", endpoint: { paginator: { type: "page_number", base_page: 1, total_path: "meta.pages" } } },
      { name: "d", endpoint: { paginator: { type: "cursor", cursor_value: "{{ last_record['id'] }}", cursor_param: "starting_after" } } },
      { name: "e", endpoint: { paginator: "single_page" } }
    ]))
    assert(Either.isRight(result))
    expect(result.right.resources.map((r) => fromSpec(r.paginator).type)).toEqual(["json_link", "offset", "page_number", "cursor", "single_page"])
  })
})
