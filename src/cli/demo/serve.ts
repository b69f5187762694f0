/**
 * Serves the demo analytics API on its own, e.g. for the benchmark (a separate process, so
 * its CPU and memory are not counted as ours) or to look at it with curl:
 *   node --import tsx src/cli/demo/serve.ts --rows 1000 [--port 8080] [--rate-limit-every 7]
 * Prints one line, `demo-api <baseUrl> <token>`, once it listens.
 */
import { startDemoApi } from "./demoApi.js"

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const number = (name: string): number | undefined => {
  const v = arg(name)
  return v === undefined ? undefined : Number(v)
}

const api = await startDemoApi({ rows: number("rows"), port: number("port"), rateLimitEvery: number("rate-limit-every") })
process.stdout.write(`demo-api ${api.baseUrl} ${api.token}\n`)
const stop = () => void api.close().then(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
