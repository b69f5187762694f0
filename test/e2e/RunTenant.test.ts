/**
 * `run --tenant T --params k=v`: the single-process run of a tenant's sync, as the cluster's
 * `submit` runs it (the same secrets under the tenant's prefix, the same params, the same
 * default dataset `<config>_<tenant>`), so a cluster's tables can be checked against it. A
 * `{params.NAME}` not given is a usage error naming where the config uses it.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import pg from "pg"
import { tenantPrefix } from "../../src/internal/config/tenant.js"
import { startTenantApi, type TenantApi, tenantConfig } from "../faults/tenantApi.js"
import { runCli, storageFlags } from "../support/cli.js"

describe("run for one tenant", () => {
  let api: TenantApi
  let dir: string
  let config: string

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "rc-run-tenant-"))
    api = await startTenantApi(2, 0, 11)
    config = path.join(dir, `tenants_${Date.now().toString(36)}.json`)
    await writeFile(config, JSON.stringify(tenantConfig(api.url, 1000)))
  })
  afterAll(async () => {
    // The tenant's dataset, when it went to the server.
    const server = process.env["TEST_DATABASE_URL"] || undefined
    const tenant = api.tenants[0]
    if (server !== undefined && tenant !== undefined) {
      const client = new pg.Client({ connectionString: server })
      await client.connect()
      const dataset = `${path.basename(config, ".json")}_${tenant.name}`
      await client.query(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE; DROP SCHEMA IF EXISTS "${dataset}_staging" CASCADE`)
      await client.end()
    }
    await api.close()
    await rm(dir, { recursive: true, force: true })
  })

  it("reads the tenant's token from <TENANT>_API_TOKEN, fills {params.account}, loads <config>_<tenant>", async () => {
    const [tenant] = api.tenants
    if (tenant === undefined) throw new Error("no tenant")
    const result = await runCli(["run", config, "--tenant", tenant.name, "--params", `account=${tenant.account}`, "--json", ...storageFlags(dir)], {
      env: { [`${tenantPrefix(tenant.name)}_API_TOKEN`]: tenant.token, API_TOKEN: undefined }
    })
    expect(result.code, result.stderr).toBe(0)
    expect(api.refused()).toBe(0)
    const report: { dataset: string; resources: ReadonlyArray<{ resource: string; rows: number }> } = JSON.parse(result.stdout)
    expect(report.dataset).toBe(`${path.basename(config, ".json")}_${tenant.name}`)
    expect(report.resources.map((r) => [r.resource, r.rows])).toEqual([["users", 30], ["events", 40]])
  })

  it("a {params.NAME} not given exits 2, naming it and where the config uses it", async () => {
    const [tenant] = api.tenants
    if (tenant === undefined) throw new Error("no tenant")
    const result = await runCli(["run", config, "--tenant", tenant.name, ...storageFlags(dir)], {
      env: { [`${tenantPrefix(tenant.name)}_API_TOKEN`]: tenant.token }
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("params.account")
    expect(result.stderr).toContain("resources[0].endpoint.path")
  })
})
