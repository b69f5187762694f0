/** `client`: base URL, default headers, auth, retry policy, timeout, limits, rate limit and trusted origins. */
import { isHeaderName } from "../syntax/headerName.js"
import { Duration } from "effect"
import { type ConfigIssue, issue, joinPath } from "./configError.js"
import { resolveAuth } from "./resolveAuth.js"
import { notSupported, secret } from "./resolveSupport.js"
import type { RestApiConfig, RetryConfig } from "./schema.js"
import { type ClientSpec, defaultMaxConcurrency, defaultMaxRedirects, defaultMaxResponseBytes, defaultRetryPolicy, type RetryPolicy, type SecretInput, type Value } from "./spec.js"

export const resolveClient = (client: RestApiConfig["client"], issues: Array<ConfigIssue>): ClientSpec<SecretInput> => {
  let baseUrl = client.base_url
  try {
    const url = new URL(client.base_url)
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      issues.push(issue("client.base_url", `expected an http(s) URL, found ${JSON.stringify(client.base_url)}`))
    }
    baseUrl = url.toString()
  } catch {
    issues.push(issue("client.base_url", `not a valid URL: ${JSON.stringify(client.base_url)}`))
  }
  if (client.session !== undefined) notSupported(issues, "client.session", "a custom session")
  const headers: Record<string, Value<SecretInput>> = {}
  for (const [key, value] of Object.entries(client.headers ?? {})) {
    // Client headers are sent as written (placeholders belong to endpoints): a plain, valid name.
    if (!isHeaderName(key)) {
      issues.push(issue(joinPath("client.headers", key), `${JSON.stringify(key)} is not a valid HTTP header name (placeholders are filled in endpoint headers only)`))
    }
    headers[key] = typeof value === "string"
      ? { _tag: "Plain", value }
      : { _tag: "Secret", secret: secret(joinPath("client.headers", key), value) }
  }
  return {
    baseUrl,
    headers,
    auth: client.auth === undefined || client.auth === null ? undefined : resolveAuth(client.auth, "client.auth", issues),
    retry: resolveRetry(client.retry),
    timeout: Duration.seconds(client.timeout ?? 60),
    maxResponseBytes: client.max_response_bytes ?? defaultMaxResponseBytes,
    maxRedirects: client.max_redirects ?? defaultMaxRedirects,
    maxConcurrency: client.max_concurrency ?? defaultMaxConcurrency,
    trustedOrigins: (client.trusted_origins ?? []).flatMap((origin, i) => resolveOrigin(origin, `client.trusted_origins[${i}]`, issues)),
    rateLimit: client.rate_limit === undefined ? undefined : {
      requestsPerSecond: client.rate_limit.requests_per_second,
      requestsPerMinute: client.rate_limit.requests_per_minute,
      respectHeaders: client.rate_limit.respect_headers,
      per: client.rate_limit.per
    }
  }
}

/** An origin as `URL.origin` spells it; a path, query or credentials would suggest more is meant. */
const resolveOrigin = (value: string, path: string, issues: Array<ConfigIssue>): ReadonlyArray<string> => {
  const wrong = () => {
    issues.push(issue(path, `expected an origin like "https://api2.example.com" (scheme, host and port only), found ${JSON.stringify(value)}`))
    return []
  }
  if (!URL.canParse(value)) return wrong()
  const url = new URL(value)
  const bare = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "" && url.password === ""
  return (url.protocol === "http:" || url.protocol === "https:") && bare ? [url.origin] : wrong()
}

export const resolveRetry = (retry: RetryConfig | undefined): RetryPolicy => {
  const d = defaultRetryPolicy
  if (retry === undefined) return d
  return {
    statusCodes: retry.status_codes !== undefined ? new Set(retry.status_codes) : d.statusCodes,
    maxRetries: retry.max_retries ?? d.maxRetries,
    backoffFactor: retry.backoff_factor ?? d.backoffFactor,
    maxDelay: retry.max_delay ?? d.maxDelay,
    respectRetryAfter: retry.respect_retry_after ?? d.respectRetryAfter,
    jitter: retry.jitter ?? d.jitter,
    maxTotalWait: retry.max_total_wait ?? d.maxTotalWait
  }
}
