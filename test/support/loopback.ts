/** A small JSON API on 127.0.0.1 (port 0) for one test: `reply` answers each request by its URL. */
import { Effect } from "effect"
import { createServer } from "node:http"

export interface JsonReply {
  readonly status?: number | undefined
  readonly body: unknown
}

export interface ServeOptions {
  /** Each reply is sent this long after its request arrived (real time). */
  readonly delayMillis?: number | undefined
}

export const serveJson = (reply: (url: URL) => JsonReply, options: ServeOptions = {}) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly url: string; readonly close: () => Promise<void> }>((resolve) => {
        const server = createServer((req, res) => {
          const send = () => {
            const { status, body } = reply(new URL(req.url ?? "/", "http://127.0.0.1"))
            res.statusCode = status ?? 200
            res.setHeader("content-type", "application/json")
            res.end(JSON.stringify(body))
          }
          if (options.delayMillis === undefined) send()
          else setTimeout(send, options.delayMillis)
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resolve({ url: `http://127.0.0.1:${port}/`, close: () => new Promise((done) => server.close(() => done())) })
        })
      })
    ),
    (server) => Effect.promise(() => server.close())
  )
