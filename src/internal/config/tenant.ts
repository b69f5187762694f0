/**
 * One config for many accounts: a tenant's secrets are the config's names under the tenant's
 * prefix (`--tenant acme-eu`: `ACME_EU_API_TOKEN`), for `run` and for the cluster's runners.
 */
import { ConfigProvider, Effect } from "effect"

/**
 * A tenant's view of the environment: a secret `NAME` is read from `<TENANT>_NAME` (the
 * tenant in upper snake case), so one config serves many accounts, each with its own token.
 * `first` (the tenant's rows of the secrets table) is read before the environment.
 */
export const forTenant = (tenant: string, first?: ConfigProvider.ConfigProvider) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.configProviderWith((provider) => {
    const environment = provider.pipe(ConfigProvider.nested(tenantPrefix(tenant)))
    return Effect.withConfigProvider(self, first === undefined ? environment : first.pipe(ConfigProvider.orElse(() => environment)))
  })

/** `acme-eu` → `ACME_EU`. */
export const tenantPrefix = (tenant: string): string => tenant.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase()
