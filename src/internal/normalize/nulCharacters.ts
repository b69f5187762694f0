/**
 * Postgres text cannot hold U+0000 (NUL): a string with one would fail the whole resource's
 * load. We store U+FFFD (the replacement character) in its place and count how many, so the
 * run's summary can say so. Most strings have none: callers look with `indexOf` first, which
 * costs a few nanoseconds per string.
 */
export const NulReplacement = "\uFFFD"

export class NulCounter {
  /** NUL characters replaced so far. */
  replaced = 0

  /** The string with every NUL replaced (call it only when it has one). */
  clean(s: string): string {
    const parts = s.split("\u0000")
    this.replaced += parts.length - 1
    return parts.join(NulReplacement)
  }
}
