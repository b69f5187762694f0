#!/usr/bin/env node
/**
 * Peak resident memory of a command and every process it starts (for the embedded database,
 * our CLI plus its database process), sampled from /proc every 20 ms. Linux only.
 *
 *   node scripts/peak-rss.mjs [--json] -- <command> [args...]
 *
 * Prints the command's own output, then the peak of the whole tree's summed RSS and each
 * process's own peak. Exits with the command's exit code.
 */
import { spawn } from "node:child_process"
import { readFileSync, readdirSync } from "node:fs"

const argv = process.argv.slice(2)
const json = argv[0] === "--json"
const dash = argv.indexOf("--")
const command = dash >= 0 ? argv.slice(dash + 1) : argv.slice(json ? 1 : 0)
if (command.length === 0) {
  console.error("usage: node scripts/peak-rss.mjs [--json] -- <command> [args...]")
  process.exit(2)
}

const read = (file) => {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}
const childrenOf = (pid) => {
  const tasks = (() => {
    try {
      return readdirSync(`/proc/${pid}/task`)
    } catch {
      return []
    }
  })()
  return tasks.flatMap((t) => (read(`/proc/${pid}/task/${t}/children`) ?? "").split(" ").filter((x) => x !== "").map(Number))
}
const rssMb = (pid) => {
  const kb = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`) ?? "")
  return kb === null ? 0 : Number(kb[1]) / 1024
}
const nameOf = (pid) => (read(`/proc/${pid}/cmdline`) ?? "").split("\0").filter((x) => x !== "").slice(0, 3).join(" ").slice(0, 80)

const child = spawn(command[0], command.slice(1), { stdio: "inherit" })
const peaks = new Map()
let peakTotal = 0
const sample = () => {
  const seen = [child.pid]
  for (let i = 0; i < seen.length; i++) seen.push(...childrenOf(seen[i]))
  let total = 0
  for (const pid of seen) {
    const mb = rssMb(pid)
    total += mb
    const known = peaks.get(pid)
    if (known === undefined || mb > known.mb) peaks.set(pid, { mb, name: known?.name || nameOf(pid) })
  }
  peakTotal = Math.max(peakTotal, total)
}
const timer = setInterval(sample, 20)
child.on("exit", (code, signal) => {
  clearInterval(timer)
  const processes = [...peaks.entries()].filter(([, p]) => p.mb > 0).map(([pid, p]) => ({ pid, name: p.name, peakMb: Math.round(p.mb) }))
  if (json) console.log(JSON.stringify({ peakTotalMb: Math.round(peakTotal), processes }))
  else {
    console.error(`peak RSS of the process tree: ${Math.round(peakTotal)} MB`)
    for (const p of processes) console.error(`  ${String(p.peakMb).padStart(5)} MB  pid ${p.pid}  ${p.name}`)
  }
  process.exit(code ?? (signal === "SIGINT" ? 130 : 143))
})
