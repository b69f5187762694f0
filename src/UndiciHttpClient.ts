/**
 * An `HttpClient` over undici's `Dispatcher.request` that reads each (JSON page) body whole in
 * the same promise as the request and enforces the ApiClient's exchange limits (deadline,
 * body size) itself: about 40% less CPU than the platform's client on thousands of small
 * pages. It does not stream bodies and makes no client spans. Any other `HttpClient` works
 * with the ApiClient too.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { Layer } from "effect"
import type * as Undici from "undici"
import * as undici from "./internal/http/undiciHttpClient.js"

/**
 * An HttpClient over the given dispatcher (an undici Agent, Pool or MockAgent).
 *
 * @since 0.1.0
 */
export const make: (dispatcher: Undici.Dispatcher) => HttpClient.HttpClient = undici.make

/**
 * The HttpClient over an undici Agent of its own, closed with the layer.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = undici.layer
