/**
 * What the compiler knows about a config written in TypeScript: `defineConfig` rejects keys
 * that the config contract does not have (a misspelt `data_selecter` is a compile error, not
 * a runtime one), and a resource's record type follows from its Schema and its
 * `include_from_parent` fields.
 */
import type { Config, Redacted, Schema } from "effect"
import type { RestApiConfigInput } from "./schema.js"

type KeysOfUnion<T> = T extends unknown ? keyof T : never

/** The type of key `K` in whichever members of the union `S` have it. */
type ValueAt<S, K extends PropertyKey> = S extends unknown ? (K extends keyof S ? S[K] : never) : never

type ElementOf<S> = S extends ReadonlyArray<infer E> ? E : never

/** Values whose insides are not config keys: checked by their own types, not key by key. */
type Opaque =
  | ((...args: ReadonlyArray<never>) => unknown)
  | Schema.Schema.All
  | Redacted.Redacted<unknown>
  | Config.Config<unknown>
  | Date

/** The message a misspelt key gets: its value must be assignable to this, and nothing is. */
type UnknownKey<K> = `unknown key '${K & string}': not part of the rest_api config`

/**
 * `T` with every key that `Shape` does not allow, at any depth, turned into an impossible
 * type. Where `Shape` allows any value (`unknown`: params, json bodies, initial values) or a
 * record of any keys, nothing is checked below.
 */
export type Strict<T, Shape> = unknown extends Shape ? T
  : T extends Opaque ? T
  : T extends ReadonlyArray<unknown> ? { readonly [I in keyof T]: Strict<T[I], ElementOf<NonNullable<Shape>>> }
  : T extends object ? {
      readonly [K in keyof T]: K extends KeysOfUnion<NonNullable<Shape>> ? Strict<T[K], ValueAt<NonNullable<Shape>, K>>
        : UnknownKey<K>
    }
  : T

/**
 * Checks a config at compile time (key names at any depth, value types) and keeps its
 * literal types, so `records(name)` knows each resource's name and record type.
 */
export const defineConfig = <const C extends RestApiConfigInput>(config: C & Strict<C, RestApiConfigInput>): C => config

type ResourceEntry<C extends RestApiConfigInput> = C["resources"][number]

/** Names of a config's resources. */
export type ResourceName<C extends RestApiConfigInput> = ResourceEntry<C> extends infer R
  ? R extends string ? R : R extends { readonly name: infer N extends string } ? N : never
  : never

type EntryNamed<C extends RestApiConfigInput, N extends string> = Extract<ResourceEntry<C>, { readonly name: N }>

/** The parent named by a `{resources.<parent>.<field>}` placeholder in a string. */
type PlaceholderParent<S> = S extends `${string}{resources.${infer P}.${string}}${string}` ? P : never

/** The parent a resource's endpoint names: in its path, or in a param (a placeholder or dlt's `resolve`). */
type ParentOf<R> = R extends { readonly endpoint: infer E }
  ? E extends string ? PlaceholderParent<E>
  : E extends { readonly path?: infer P; readonly params?: infer Q } ?
      | PlaceholderParent<P>
      | (Q extends object ? {
          [K in keyof Q]: Q[K] extends string ? PlaceholderParent<Q[K]>
            : Q[K] extends { readonly type: "resolve"; readonly resource: infer X extends string } ? X
            : never
        }[keyof Q]
        : never)
  : never
  : never

type IncludedFields<C extends RestApiConfigInput, R> = R extends { readonly include_from_parent: ReadonlyArray<infer F> } ? F
  : C extends { readonly resource_defaults: { readonly include_from_parent: ReadonlyArray<infer F> } } ? F
  : never

type OwnRecord<R> = R extends { readonly schema: Schema.Schema<infer A, infer _I, never> } ? A
  : Readonly<Record<string, unknown>>

/** `_<parent>_<field>` for each `include_from_parent` field, typed from the parent's record. */
type ParentColumns<C extends RestApiConfigInput, P extends string, F> = [P] extends [never] ? unknown
  : [F] extends [never] ? unknown
  : { readonly [K in F & string as `_${P}_${K}`]: K extends keyof OwnRecord<EntryNamed<C, P>> ? OwnRecord<EntryNamed<C, P>>[K] : unknown }

/** The record type of a resource: its Schema's type (or a JSON object), plus what `include_from_parent` adds. */
export type RecordOf<C extends RestApiConfigInput, N extends string> =
  & OwnRecord<EntryNamed<C, N>>
  & ParentColumns<C, ParentOf<EntryNamed<C, N>> & string, IncludedFields<C, EntryNamed<C, N>>>
