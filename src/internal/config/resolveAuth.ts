/** `auth` (client or endpoint): dlt's auth types, or a TypeScript config's own `authenticate`. */
import type { Auth } from "./authSpec.js"
import { type ConfigIssue, issue } from "./configError.js"
import { secret } from "./resolveSupport.js"
import type { AuthConfig } from "./schema.js"
import type { SecretInput } from "./spec.js"

export const resolveAuth = (auth: AuthConfig, path: string, issues: Array<ConfigIssue>): Auth<SecretInput> | undefined => {
  if (typeof auth === "string") {
    issues.push(issue(path, `auth type '${auth}' needs its parameters: write it as an object, e.g. { type: "${auth}", ... }`))
    return undefined
  }
  if (!("type" in auth) && "authenticate" in auth) {
    const authenticate = auth.authenticate
    return { _tag: "Custom", authenticate: (request) => Reflect.apply(authenticate, auth, [request]) }
  }
  switch (auth.type) {
    case undefined:
    case "bearer":
      return { _tag: "Bearer", token: secret(`${path}.token`, auth.token) }
    case "api_key": {
      const location = auth.location ?? "header"
      return {
        _tag: "ApiKey",
        name: auth.name ?? "Authorization",
        location: location === "param" ? "query" : location,
        apiKey: secret(`${path}.api_key`, auth.api_key)
      }
    }
    case "http_basic":
      return {
        _tag: "HttpBasic",
        username: secret(`${path}.username`, auth.username),
        password: secret(`${path}.password`, auth.password)
      }
    case "oauth2_client_credentials":
      return {
        _tag: "OAuth2ClientCredentials",
        accessTokenUrl: auth.access_token_url,
        clientId: secret(`${path}.client_id`, auth.client_id),
        clientSecret: secret(`${path}.client_secret`, auth.client_secret),
        requestData: auth.access_token_request_data ?? {},
        defaultExpiration: auth.default_token_expiration ?? 3600,
        accessToken: auth.access_token === undefined ? undefined : secret(`${path}.access_token`, auth.access_token)
      }
  }
}
