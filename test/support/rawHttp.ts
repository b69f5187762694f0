/** One HTTP request with exactly the headers given (a Host of our choosing too, which fetch does not allow). */
import { request } from "node:http"

export interface RawRequest {
  readonly method?: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string
}

export const rawRequest = (base: URL, options: RawRequest): Promise<{ readonly status: number; readonly body: string }> =>
  new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, method: options.method ?? "GET", path: options.path, headers: options.headers, setHost: false },
      (res) => {
        let body = ""
        res.on("data", (d: Buffer) => (body += d.toString()))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
      }
    )
    req.on("error", reject)
    req.end(options.body)
  })
