/**
 * An HTTP server on 127.0.0.1 (port 0) that records every request it gets (method, path with
 * query, headers, body) and answers through `handle`. Two of them are two origins.
 */
import { Effect } from "effect"
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"

export interface Seen {
  readonly method: string
  /** Path and query, exactly as sent on the wire. */
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly seen: Array<Seen>
}

/** Answers with a status, headers and a JSON body (or none, with `body: undefined`). */
export const reply = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers })
  res.end(body === undefined ? undefined : JSON.stringify(body))
}

export const recordingServer = (handle: (request: Seen, res: ServerResponse, self: RecordingServer) => void) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<RecordingServer & { readonly close: () => Promise<void> }>((resolve) => {
        const seen: Array<Seen> = []
        let self: RecordingServer | undefined
        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("end", () => {
            const request: Seen = { method: req.method ?? "", path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }
            seen.push(request)
            if (self !== undefined) handle(request, res, self)
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          self = { origin: `http://127.0.0.1:${port}`, seen }
          resolve({
            ...self,
            close: () =>
              new Promise((done) => {
                server.closeAllConnections()
                server.close(() => done())
              })
          })
        })
      })
    ),
    (server) => Effect.promise(() => server.close())
  )
