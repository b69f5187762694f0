/**
 * Which operations of an OpenAPI document become resources: lists, details and children,
 * names, primary keys, parameters and the default selection (small hand-written documents,
 * read by the real loader).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { stringify as stringifyYaml } from "yaml"
import * as Document from "../../src/internal/openapi/document.js"
import { planResources } from "../../src/internal/openapi/resources.js"

const ok = (schema: unknown) => ({ responses: { "200": { description: "ok", content: { "application/json": { schema } } } } })
const list = (items: unknown, wrapper?: string) => ok(wrapper === undefined ? { type: "array", items } : { type: "object", properties: { [wrapper]: { type: "array", items }, total: { type: "integer" } } })
const obj = (properties: Record<string, unknown>) => ({ type: "object", properties })
const pathParam = (name: string, extra: Record<string, unknown> = {}) => ({ name, in: "path", required: true, schema: { type: "string", ...extra } })

const document = {
  openapi: "3.0.3",
  info: { title: "Shop", version: "1" },
  servers: [{ url: "https://shop.test/v1" }],
  paths: {
    "/invoices": { get: list(obj({ invoice_id: { type: "string" }, total: { type: "number" } }), "data") },
    "/invoice/{invoice_id}/lines": { get: { parameters: [pathParam("invoice_id")], ...list(obj({ id: { type: "integer" } })) } },
    "/pets": { get: list({ $ref: "#/components/schemas/Pet" }) },
    "/pets/{petId}": { get: { parameters: [pathParam("petId")], ...ok({ $ref: "#/components/schemas/Pet" }) } },
    "/stores/{storeId}/orders": { get: { parameters: [pathParam("storeId", { example: "s-1" })], ...list(obj({ id: { type: "string" } }), "items") } },
    "/search": {
      get: {
        parameters: [
          { name: "q", in: "query", required: true, schema: { type: "string", example: "cats" } },
          { name: "sort", in: "query", required: true, schema: { type: "string", default: "name" } }
        ],
        ...list(obj({ id: { type: "string" } }), "results")
      }
    },
    "/book/series": { get: list(obj({ uid: { type: "string" } })) },
    "/topstories.json": { get: list({ type: "integer" }) },
    "/things": { get: list({ anyOf: [obj({ id: { type: "string" }, a: { type: "string" } }), obj({ id: { type: "string" }, b: { type: "number" } })] }, "data") },
    "/me": { get: ok(obj({ name: { type: "string" }, bio: { type: "string" }, websites: { type: "array", items: obj({ url: { type: "string" } }) } })) },
    "/feed": { get: { parameters: [{ name: "offset", in: "query", schema: { type: "integer" } }], ...ok({}) } },
    "/old": { get: { deprecated: true, ...list(obj({ id: { type: "string" } })) } }
  },
  components: { schemas: { Pet: obj({ id: { type: "integer" }, name: { type: "string" } }) } }
}

const plan = () =>
  Effect.map(Document.toModel(document, "shop.json"), (model) => new Map(planResources(model).map((p) => [p.name, p])))

describe("resources from an OpenAPI document", () => {
  it.effect("lists (under wrappers, of unions, untyped with paging parameters); not single objects, deprecated ones", () =>
    Effect.gen(function*() {
      const plans = yield* plan()
      expect(plans.get("invoices")).toMatchObject({ kind: "list", dataSelector: "data", primaryKey: "invoice_id", selected: true })
      expect(plans.get("pets")).toMatchObject({ kind: "list", dataSelector: undefined, primaryKey: "id", selected: true })
      // A union's records have every member's properties.
      expect(plans.get("things")).toMatchObject({ dataSelector: "data", primaryKey: "id" })
      // `{}` with an offset parameter: found at run time, untyped.
      expect(plans.get("feed")).toMatchObject({ kind: "list", dataSelector: undefined, selected: true })
      expect(plans.get("feed")?.notes.join(" ")).toContain("no usable schema")
      // A profile with a list of websites is one record, not a list of websites.
      expect(plans.has("me")).toBe(false)
      expect([...plans.keys()].some((n) => n.includes("old"))).toBe(false)
    }))

  it.effect("names: singulars that stay (series), file extensions dropped, collisions", () =>
    Effect.gen(function*() {
      const plans = yield* plan()
      expect(plans.has("book_series")).toBe(true)
      expect(plans.get("book_series")?.primaryKey).toBe("uid")
      expect(plans.has("topstories")).toBe(true)
    }))

  it.effect("children: a parent whose path is singular or plural, the field by name or the parent's key; details", () =>
    Effect.gen(function*() {
      const plans = yield* plan()
      // `/invoice/{invoice_id}/lines` under `/invoices`: the records' own `invoice_id`.
      expect(plans.get("invoice_lines")).toMatchObject({ parent: "invoices", path: "/invoice/{resources.invoices.invoice_id}/lines", selected: true })
      // `GET /pets/{petId}`: one record per pet, the pet's id, not selected.
      expect(plans.get("pet_details")).toMatchObject({
        kind: "detail",
        parent: "pets",
        path: "/pets/{resources.pets.id}",
        dataSelector: "$",
        primaryKey: "id",
        selected: false
      })
    }))

  it.effect("parameters nothing fills: the document's value is written, the resource is not selected; a default is taken", () =>
    Effect.gen(function*() {
      const plans = yield* plan()
      const orders = plans.get("store_orders")
      expect(orders).toMatchObject({ params: { storeId: "s-1" }, selected: false })
      expect(orders?.notes.join(" ")).toContain("`storeId` (the document's example is filled in)")
      const search = plans.get("search")
      expect(search).toMatchObject({ params: { q: "cats", sort: "name" }, selected: false })
      expect(search?.notes.join(" ")).toContain("`q`")
      expect(search?.notes.join(" ")).not.toContain("`sort`")
    }))

  it.effect("a $ref that leads nowhere does not stop the document: it is read, and the README says so", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-openapi-")))
      const file = path.join(dir, "broken.json")
      const broken = { ...document, paths: { ...document.paths, "/bad": { get: list({ $ref: "#/components/schemas/Missing" }) } } }
      yield* Effect.promise(() => writeFile(file, JSON.stringify(broken)))
      const model = yield* Document.load(file).pipe(Effect.ensuring(Effect.promise(() => rm(dir, { recursive: true, force: true }))))
      expect(model.notes?.join(" ")).toContain("Missing")
      expect(planResources(model).some((p) => p.name === "pets")).toBe(true)
    }))

  it.effect("reads YAML as JSON, from a path or a file: URL, and says what it cannot read", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "rc-openapi-")))
      const file = path.join(dir, "shop.yaml")
      yield* Effect.promise(() => writeFile(file, stringifyYaml(document)))
      const fromPath = yield* Document.load(file)
      const fromUrl = yield* Document.load(pathToFileURL(file).href)
      expect(planResources(fromPath).map((p) => p.name)).toEqual(planResources(fromUrl).map((p) => p.name))
      expect(fromPath).toMatchObject({ version: "3.0", title: "Shop", baseUrl: "https://shop.test/v1" })
      const missing = yield* Effect.flip(Document.load(path.join(dir, "nope.yaml")))
      expect(missing._tag).toBe("OpenApiError")
      expect(missing.message).toContain("nope.yaml")
      yield* Effect.promise(() => writeFile(file, "openapi: 9.9\ninfo: {title: x}\npaths: {}\n"))
      const unknown = yield* Effect.flip(Document.load(file))
      yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
      expect(unknown._tag).toBe("OpenApiError")
    }))
})
