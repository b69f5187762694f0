/**
 * Form bodies (dlt's `data`) go on the wire as python `requests` sends them, checked on a real
 * loopback server: dlt's test_request_data_body, case by case.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { createServer, type IncomingHttpHeaders } from "node:http"
import * as RestApiSource from "../../src/internal/extract/source.js"
import { apiLayer } from "../../src/cli/connector.js"

interface Received {
  readonly contentType: string | undefined
  readonly body: string
  readonly headers: IncomingHttpHeaders
}

/** One POST against a server that records what it got and answers an empty list. */
const send = (data: unknown) =>
  Effect.gen(function*() {
    const received: Array<Received> = []
    const server = yield* Effect.acquireRelease(
      Effect.async<{ readonly url: string; readonly close: () => void }>((resume) => {
        const s = createServer((req, res) => {
          let body = ""
          req.on("data", (c) => (body += String(c)))
          req.on("end", () => {
            received.push({ contentType: req.headers["content-type"], body, headers: req.headers })
            res.setHeader("content-type", "application/json")
            res.end("[]")
          })
        })
        s.listen(0, "127.0.0.1", () => {
          const a = s.address()
          resume(Effect.succeed({ url: `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}/`, close: () => s.close() }))
        })
      }),
      (s) => Effect.sync(() => s.close())
    )
    const endpoint = { path: "post_form_data", method: "POST", paginator: "single_page", ...(data === undefined ? {} : { data }) } as const
    const source = yield* RestApiSource.make({ client: { base_url: server.url }, resources: [{ name: "test_data", endpoint }] })
    yield* source.records("test_data").pipe(Stream.runDrain, Effect.provide(apiLayer))
    return received[0]
  })

describe("test_request_data_body (dlt)", () => {
  it.scoped("empty_data_dict: no body and no content type", () =>
    Effect.gen(function*() {
      const got = yield* send({})
      expect(got?.contentType).toBeUndefined()
      expect(got?.body).toBe("")
    }))

  it.scoped("data_as_dict: form-encoded", () =>
    Effect.gen(function*() {
      const got = yield* send({ key1: "value1", key2: "value2" })
      expect(got?.contentType).toBe("application/x-www-form-urlencoded")
      expect(got?.body).toBe("key1=value1&key2=value2")
    }))

  it.scoped("data_as_list_of_tuples: form-encoded, repeated names kept", () =>
    Effect.gen(function*() {
      const got = yield* send([["key1", "value1"], ["key2", "value2"], ["key1", "another_value"]])
      expect(got?.contentType).toBe("application/x-www-form-urlencoded")
      expect(got?.body).toBe("key1=value1&key2=value2&key1=another_value")
    }))

  it.scoped("data_as_string: the string as it is, with no content type", () =>
    Effect.gen(function*() {
      const got = yield* send("raw string data")
      expect(got?.contentType).toBeUndefined()
      expect(got?.body).toBe("raw string data")
    }))

  it.scoped("no_data_post: no body and no content type", () =>
    Effect.gen(function*() {
      const got = yield* send(undefined)
      expect(got?.contentType).toBeUndefined()
      expect(got?.body).toBe("")
    }))
})
