/**
 * Distinct keys that normalize to one name in one table (`userId`, `user_id`, `UserID`,
 * `user-id`, `user id`; `!!` and `??`; `""` and `" "`) keep distinct columns: the first source
 * key to claim a name keeps it, every other gets `<name>_<tag>`, the tag a 6-character hash of
 * its source key (its path of raw keys from the table's row). A losing key's name so depends
 * on nothing but itself, never on how many others came before it; only who wins the plain name
 * depends on the order keys are first met, and that is remembered: every column's source key
 * is stored (`_rc_columns`, and `_rc_tables` for a child table's list), and a later run claims
 * those names first (`adopt`), so a key keeps its column whatever order records come in.
 *
 * Claims are made for leaves: a column or a list (a child table). Nested objects are not
 * claimed: `{meta: {x}}` and `{Meta: {x}}` both flatten under `meta`, and their leaves
 * `meta__x` and `meta__x_<tag>` tell them apart.
 */
import { EmptyKey, normalizeIdentifier, PathSeparator, tagOf } from "./naming.js"

/** A source key (raw keys from the table's row, outermost first) as one string. */
export const sourceIdOf = (source: ReadonlyArray<string>): string => JSON.stringify(source)

/** The name of one raw key before claims: snake_case, an empty or blank key `_empty` (dlt). */
export const keyName = (key: string): string => key.trim().length === 0 ? EmptyKey : normalizeIdentifier(key)

/** The unclaimed (plain) name of a source key: its keys' names joined by `__`. */
export const plainName = (source: ReadonlyArray<string>): string => source.map(keyName).join(PathSeparator)

/** The `n`th name a source tries: its plain name, then `<plain>_<tag>` with ever other tags. */
const candidate = (plain: string, sourceId: string, n: number): string =>
  n === 0 ? plain : `${plain}_${tagOf(n === 1 ? sourceId : `${sourceId}\u0000${n}`)}`

/** A stored name is one of a source's first few candidates (more would take more colliding keys than any API has). */
const adoptTries = 4

/** The names claimed in one table (unshortened), and by which source key. */
export class NameClaims {
  private readonly owners = new Map<string, string>()
  private readonly bySource = new Map<string, string>()

  /** The (unshortened) name of `sourceId`, whose plain name is `plain`: claimed now if it has none. */
  claim(sourceId: string, plain: string): string {
    const held = this.bySource.get(sourceId)
    if (held !== undefined) return held
    for (let n = 0;; n++) {
      const name = candidate(plain, sourceId, n)
      if (!this.owners.has(name)) {
        this.owners.set(name, sourceId)
        this.bySource.set(sourceId, name)
        return name
      }
    }
  }

  /**
   * Takes over a stored name: the candidate of `sourceId` that `stored` accepts (it compares
   * the candidate, shortened as stored, with the stored name). Undefined when none does (a
   * variant column `<name>__v_<type>` shares its column's source) or the source holds another.
   */
  adopt(sourceId: string, plain: string, stored: (name: string) => boolean): string | undefined {
    // A key both a column and a list (in different records) has one name for both.
    const held = this.bySource.get(sourceId)
    if (held !== undefined) return stored(held) ? held : undefined
    for (let n = 0; n < adoptTries; n++) {
      const name = candidate(plain, sourceId, n)
      if (!stored(name)) continue
      if (this.owners.has(name)) return undefined
      this.owners.set(name, sourceId)
      this.bySource.set(sourceId, name)
      return name
    }
    return undefined
  }
}
