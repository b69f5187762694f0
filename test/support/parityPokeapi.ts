/**
 * The PokeAPI-like style (`bases.pokeapi`, no auth): `{count, next, previous, results}` pages with
 * absolute `next` URLs, and a detail endpoint per pokemon (parent/child).
 * - `GET pokemon?limit=20&offset=0` → `{count, next: abs-url | null, previous: abs-url | null,
 *   results: [{name, url: "<base>pokeapi/pokemon/<id>/"}]}`.
 * - `GET pokemon/{name-or-id}` (trailing slash optional) → `Pokemon`; unknown → `404` text `Not Found`.
 */
import { json, methodNotAllowed, nonNegativeInt, type ParityStyle, type Reply, type Req } from "./parityHttp.js"

export interface PokeapiOptions {
  /** PokeAPI: number of pokemon. Default 53. */
  readonly pokemon?: number
}

export interface Pokemon {
  readonly id: number
  readonly name: string
  readonly height: number
  readonly weight: number
  readonly types: ReadonlyArray<{ readonly slot: number; readonly type: { readonly name: string } }>
}

const POKEMON_NAMES = [
  "bulbasaur", "ivysaur", "venusaur", "charmander", "charmeleon", "charizard", "squirtle", "wartortle",
  "blastoise", "caterpie", "metapod", "butterfree", "weedle", "kakuna", "beedrill", "pidgey", "pidgeotto",
  "pidgeot", "rattata", "raticate"
]
const POKEMON_TYPES = ["grass", "poison", "fire", "flying", "water", "bug", "normal"]

/** Pokemon with id `id` (1-based). */
export const pokemonAt = (id: number): Pokemon => {
  const types = [{ slot: 1, type: { name: POKEMON_TYPES[id % POKEMON_TYPES.length] } }]
  if (id % 3 === 0) types.push({ slot: 2, type: { name: POKEMON_TYPES[(id + 3) % POKEMON_TYPES.length] } })
  return {
    id,
    name: id <= POKEMON_NAMES.length ? POKEMON_NAMES[id - 1] : `pokemon-${id}`,
    height: 3 + (id % 17),
    weight: 40 + id * 7,
    types
  }
}

export class PokeapiStyle implements ParityStyle {
  readonly prefix = "/pokeapi"
  private count = 0

  constructor(private readonly options: PokeapiOptions) {
    this.reset()
  }

  readonly reset = (): void => {
    this.count = this.options.pokemon ?? 53
  }

  readonly add = (n: number): void => {
    this.count += n
  }

  readonly handle = (req: Req, rest: string): Reply => {
    if (req.method !== "GET") return methodNotAllowed("GET")
    if (rest === "/pokemon" || rest === "/pokemon/") {
      const limit = nonNegativeInt(req.url, "limit", 20)
      const offset = nonNegativeInt(req.url, "offset", 0)
      if (limit === undefined || offset === undefined) return json(400, { detail: "invalid limit or offset" })
      const page = (o: number) => `${req.origin}/pokeapi/pokemon?offset=${o}&limit=${limit}`
      const results: Array<{ name: string; url: string }> = []
      for (let id = offset + 1; id <= Math.min(offset + limit, this.count); id++) {
        results.push({ name: pokemonAt(id).name, url: `${req.origin}/pokeapi/pokemon/${id}/` })
      }
      return json(200, {
        count: this.count,
        next: limit > 0 && offset + limit < this.count ? page(offset + limit) : null,
        previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
        results
      })
    }
    const m = /^\/pokemon\/([^/]+)\/?$/.exec(rest)
    if (m !== null) {
      const key = decodeURIComponent(m[1]).toLowerCase()
      for (let id = 1; id <= this.count; id++) {
        const p = pokemonAt(id)
        if (p.name === key || String(id) === key) return json(200, p)
      }
    }
    return { status: 404, body: undefined, text: "Not Found" }
  }
}
