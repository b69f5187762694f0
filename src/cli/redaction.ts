/**
 * The CLI's last line of defence for secrets: every error, defect trace and log line it prints
 * passes through the redactors of the sources it loaded (config secrets, their wire forms and
 * the credentials learned at run time), and database URLs lose their passwords.
 */
import type { Redactor } from "../internal/http/redact.js"

const active = new Set<Redactor>()

/** Scrub this source's secrets from everything the CLI prints from now on. */
export const remember = (redactor: Redactor): void => {
  active.add(redactor)
}

/**
 * `postgres://user:password@host` → `postgres://user:***@host`, anywhere in a text. The scheme
 * is bounded (and must start a word) so a long run of letters costs linear time, not quadratic:
 * an unbounded `[a-z0-9+.-]*` rescans the run from every position (a 1 MB name took minutes).
 */
const urlPassword = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/@]*:)[^\s@/]*@/gi

export const scrub = (text: string): string => {
  let out = text.replace(urlPassword, "$1***@")
  for (const redactor of active) out = redactor.text(out)
  return out
}
