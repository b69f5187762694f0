/**
 * A loopback JSON API (127.0.0.1, port 0) that counts the requests it holds at once: each is
 * answered `delayMillis` after it arrived, and `most()` is the highest count seen.
 */
import { createServer } from "node:http"

export interface CountingServer {
  readonly url: string
  readonly most: () => number
  readonly close: () => Promise<void>
}

export const startCountingServer = (answer: (url: URL) => { readonly body: unknown; readonly delayMillis: number }): Promise<CountingServer> =>
  new Promise((resolve) => {
    let inFlight = 0
    let most = 0
    const server = createServer((req, res) => {
      inFlight++
      most = Math.max(most, inFlight)
      const { body, delayMillis } = answer(new URL(req.url ?? "/", "http://127.0.0.1"))
      setTimeout(() => {
        inFlight--
        res.setHeader("content-type", "application/json")
        res.end(JSON.stringify(body))
      }, delayMillis)
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resolve({ url: `http://127.0.0.1:${port}/`, most: () => most, close: () => new Promise((done) => server.close(() => done())) })
    })
  })
