/**
 * `_rc_*` is the namespace of the tables we keep in each dataset: a resource or table_name
 * there is refused when the config is read, with its path, before anything touches a database.
 */
import { describe, expect, it } from "@effect/vitest"
import { errorOf, withResources } from "../support/configFixtures.js"

describe("reserved table names", () => {
  it("a resource name or table_name in the _rc_ namespace is a config error naming its key", () => {
    const error = errorOf(withResources([
      "_rc_loads",
      { name: "state", table_name: "_RC_State" },
      { name: "_rcVersion" },
      { name: "fine", table_name: "rc_loads" }
    ]))
    expect(error.issues.map((i) => i.path)).toEqual(["resources[0].name", "resources[1].table_name", "resources[2].name"])
    expect(error.message).toContain("table name '_rc_loads' is reserved")
    expect(error.message).toContain("'_rc_'")
  })
})
