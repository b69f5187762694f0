/**
 * Auth as dlt configures it (`bearer`, `api_key`, `http_basic`, `oauth2_client_credentials`)
 * plus a TypeScript config's own `{ authenticate(request) }`, and the authenticators the
 * ApiClient signs requests with. An OAuth2 token is fetched once, shared, and refreshed
 * before it expires.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Effect, Redacted } from "effect"
import * as auth from "./internal/http/auth.js"

export {
  /**
   * An auth spec (`S`: how secrets are held).
   *
   * @since 0.1.0
   */
  type Auth,
  /**
   * Credentials could not be put on a request; the message never holds a secret or a token.
   *
   * @since 0.1.0
   */
  AuthError,
  /**
   * @since 0.1.0
   */
  type Authenticator,
  /**
   * A TypeScript config's own auth: `authenticate` may return the request or a Promise of it.
   *
   * @since 0.1.0
   */
  type CustomAuth
} from "./internal/http/auth.js"

/**
 * An authenticator for one auth spec. Make it once and share it: for OAuth2 it holds the
 * token every request shares. Token requests go through the `HttpClient` in context.
 *
 * @since 0.1.0
 */
export const makeAuthenticator: (
  spec: auth.Auth<Redacted.Redacted<string>>
) => Effect.Effect<auth.Authenticator, never, HttpClient.HttpClient> = auth.makeAuthenticator
