/**
 * The secrets table from the CLI, on the Postgres server (TEST_DATABASE_URL): `set-secret` reads
 * the value from stdin, `secrets` lists names and never values, and `rotate-secrets-key` moves a
 * tenant's secrets to a new key: without the old key it exits 2 naming the secret, with it in
 * RC_SECRETS_KEY_PREVIOUS it re-encrypts them, after which the new key alone opens them.
 */
import { describe, expect, it } from "@effect/vitest"
import { runCli } from "../support/cli.js"
import { uniqueDatasetName } from "../support/database.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

describe.runIf(serverUrl !== undefined)("rest-connector set-secret, secrets and rotate-secrets-key", () => {
  it("a tenant's secrets move to a new key; a secret no key opens stops the rotation with exit 2", async () => {
    const tenant = uniqueDatasetName("cli_secrets")
    const withKeys = (current: string, previous?: string) => ({ env: { DATABASE_URL: serverUrl, RC_SECRETS_KEY: current, RC_SECRETS_KEY_PREVIOUS: previous } })
    try {
      const set = await runCli(["set-secret", tenant, "API_TOKEN"], { ...withKeys("pass-old"), input: "tok-value-1\n" })
      expect(set.code, set.stderr).toBe(0)
      const listed = await runCli(["secrets", "--tenant", tenant], withKeys("pass-old"))
      expect(listed.stdout).toContain("API_TOKEN")
      expect(listed.stdout + listed.stderr).not.toContain("tok-value-1")

      const alone = await runCli(["rotate-secrets-key", "--tenant", tenant], withKeys("pass-new"))
      expect(alone.code).toBe(2)
      expect(alone.stderr).toContain(`secret API_TOKEN of tenant ${tenant} opens with neither RC_SECRETS_KEY nor RC_SECRETS_KEY_PREVIOUS`)

      const rotated = await runCli(["rotate-secrets-key", "--tenant", tenant], withKeys("pass-new", "pass-old"))
      expect(rotated.code, rotated.stderr).toBe(0)
      expect(rotated.stdout).toContain("1 secret(s) re-encrypted with RC_SECRETS_KEY (1 of them were under RC_SECRETS_KEY_PREVIOUS)")
      const again = await runCli(["rotate-secrets-key", "--tenant", tenant], withKeys("pass-new"))
      expect(again.stdout).toContain("1 secret(s) re-encrypted with RC_SECRETS_KEY (0 of them")
      for (const out of [alone, rotated, again]) {
        for (const secret of ["tok-value-1", "pass-old", "pass-new"]) expect(out.stdout + out.stderr).not.toContain(secret)
      }
    } finally {
      await runCli(["remove-secret", tenant, "API_TOKEN"], withKeys("pass-new"))
    }
  }, 120_000)
})
