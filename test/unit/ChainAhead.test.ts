/**
 * A chain of pages (a cursor) on a slow API asks for the next page while the consumer works on
 * the current one; on a fast API it goes one request after another. Timed with TestClock over
 * a fake SourceClient whose every page takes `latency` ms.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Schema, Stream, TestClock } from "effect"
import * as Resource from "../../src/internal/extract/resource.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { defineConfig } from "../../src/internal/extract/source.js"
import type { PageResponse, SourceClient } from "../../src/internal/http/apiClient.js"

const config = defineConfig({
  client: { base_url: "https://api.test/v1/" },
  resources: [
    {
      name: "items",
      endpoint: {
        path: "items",
        data_selector: "data",
        paginator: { type: "cursor", cursor_param: "next", cursor_path: "next", stop_condition: "{{ response.get('hasNext', {}) == False }}" }
      },
      schema: Schema.Struct({ id: Schema.Number })
    }
  ]
})

/** Pages 0..pages-1 of a cursor API answering after `latency` ms; when each was asked for and consumed. */
const run = (latency: number, pages: number, workMillis: number) =>
  Effect.gen(function*() {
    const sent: Array<number> = []
    const done: Array<number> = []
    const client: SourceClient = {
      request: (options) =>
        Effect.gen(function*() {
          const n = Number(options.params["next"] ?? "0")
          sent[n] = yield* Clock.currentTimeMillis
          yield* Effect.sleep(latency)
          const response: PageResponse = {
            url: `https://api.test/v1/items?next=${n}`,
            status: 200,
            headers: {},
            body: { data: [{ id: n }], next: String(n + 1), hasNext: n + 1 < pages },
            ignored: false,
            attempts: 1
          }
          return response
        })
    }
    const source = yield* RestApiSource.make(config)
    const consumer = yield* Resource.pages(source.spec.resources[0], client, source.redactor).pipe(
      Stream.runForEach((page) =>
        Effect.gen(function*() {
          yield* Effect.sleep(workMillis)
          done[page.index] = yield* Clock.currentTimeMillis
        })
      ),
      Effect.fork
    )
    for (let i = 0; i < 400 && done.length < pages; i++) yield* TestClock.adjust(5)
    yield* Fiber.join(consumer)
    return { sent, done }
  })

describe("a chain of pages", () => {
  it.effect("on a slow API the next page is asked for while the consumer works on this one", () =>
    Effect.gen(function*() {
      const { sent, done } = yield* run(100, 4, 50)
      expect(sent).toHaveLength(4)
      // Page 1 went out when page 0 arrived (100 ms), before its consumer finished (150 ms).
      expect(sent[1]).toBe(100)
      for (let k = 1; k < 4; k++) expect(sent[k]).toBeLessThan(done[k - 1])
      // One round trip per page, the consumer's work hidden behind it: 4 × 100 + 50.
      expect(done[3]).toBe(450)
    }))

  it.effect("on a fast API (under Resource.aheadAfterMillis) each request waits for the page before it to be consumed", () =>
    Effect.gen(function*() {
      const latency = Resource.aheadAfterMillis - 10
      const { sent, done } = yield* run(latency, 4, 50)
      expect(sent).toHaveLength(4)
      for (let k = 1; k < 4; k++) expect(sent[k]).toBeGreaterThanOrEqual(done[k - 1])
      expect(done[3]).toBe(4 * (latency + 50))
    }))
})
