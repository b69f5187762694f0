import { assert, describe, it } from "@effect/vitest"
import { normalizeIdentifier, normalizePath, normalizeTableName, shorten } from "../../src/internal/normalize/naming.js"

const bytes = (s: string): number => Buffer.byteLength(s, "utf8")

describe("normalizeIdentifier (dlt snake_case)", () => {
  it("converts camelCase and acronyms", () => {
    assert.strictEqual(normalizeIdentifier("createdAt"), "created_at")
    assert.strictEqual(normalizeIdentifier("HTTPStatus"), "http_status")
    assert.strictEqual(normalizeIdentifier("userID"), "user_id")
    assert.strictEqual(normalizeIdentifier("DealFlow"), "deal_flow")
    assert.strictEqual(normalizeIdentifier("CamelCaseHTTPRequest"), "camel_case_http_request")
    assert.strictEqual(normalizeIdentifier("Numbers123Abc"), "numbers123_abc")
    assert.strictEqual(normalizeIdentifier("aBcDe"), "a_bc_de")
  })

  it("reduces the alphabet", () => {
    assert.strictEqual(normalizeIdentifier("a+b"), "axb")
    assert.strictEqual(normalizeIdentifier("a*b"), "axb")
    assert.strictEqual(normalizeIdentifier("me@host"), "meahost")
    assert.strictEqual(normalizeIdentifier("a|b"), "alb")
    assert.strictEqual(normalizeIdentifier("kebab-case"), "kebab_case")
    assert.strictEqual(normalizeIdentifier("a.b.c"), "a_b_c")
    assert.strictEqual(normalizeIdentifier("$ref"), "_ref")
    // A run of other characters becomes one `_`.
    assert.strictEqual(normalizeIdentifier("price ($) net"), "price_net")
    assert.strictEqual(normalizeIdentifier("price ($)"), "pricex")
    assert.strictEqual(normalizeIdentifier("über Größe"), "uber_grosse")
  })

  it("trims, prefixes leading digits, keeps `__` reserved and replaces trailing underscores", () => {
    assert.strictEqual(normalizeIdentifier("  name  "), "name")
    assert.strictEqual(normalizeIdentifier("1st"), "_1st")
    assert.strictEqual(normalizeIdentifier("2024"), "_2024")
    assert.strictEqual(normalizeIdentifier("a__b"), "a_b")
    assert.strictEqual(normalizeIdentifier("a - b"), "a_b")
    assert.strictEqual(normalizeIdentifier("__id"), "_id")
    assert.strictEqual(normalizeIdentifier("_id"), "_id")
    assert.strictEqual(normalizeIdentifier("name_"), "namex")
    assert.strictEqual(normalizeIdentifier("a__"), "axx")
    assert.strictEqual(normalizeIdentifier("_"), "x")
    assert.strictEqual(normalizeIdentifier(""), "_")
    assert.strictEqual(normalizeIdentifier("   "), "_")
  })

  it("leaves normalized names alone and is idempotent", () => {
    for (const s of ["id", "created_at", "_rc_id", "a1_b2", "value"]) assert.strictEqual(normalizeIdentifier(s), s)
    for (const s of ["createdAt", "HTTPStatus", "1st", "a__", "price ($)", "me@host", "über"]) {
      const once = normalizeIdentifier(s)
      assert.strictEqual(normalizeIdentifier(once), once)
    }
  })

  it("stays correct past the memo's capacity", () => {
    for (let i = 0; i < 12_000; i++) assert.strictEqual(normalizeIdentifier(`fieldNo${i}`), `field_no${i}`)
    assert.strictEqual(normalizeIdentifier("createdAt"), "created_at")
  })
})

describe("paths and table names", () => {
  it("joins normalized parts with __", () => {
    assert.strictEqual(normalizePath(["Orders", "lineItems", "unitPrice"]), "orders__line_items__unit_price")
    assert.strictEqual(normalizePath(["a"]), "a")
  })

  it("normalizes and shortens table names", () => {
    assert.strictEqual(normalizeTableName("OrderItems"), "order_items")
    const long = normalizeTableName("x".repeat(100))
    assert.isAtMost(bytes(long), 63)
  })
})

describe("shorten", () => {
  it("returns identifiers that fit unchanged", () => {
    const s = "a".repeat(63)
    assert.strictEqual(shorten(s), s)
    assert.strictEqual(shorten("short"), "short")
  })

  it("cuts long identifiers to 63 bytes with dlt's hash tag in the middle", () => {
    // Same result as dlt's shorten_identifier(ident, ident, 63).
    assert.strictEqual(
      shorten("very_long_table_name_".repeat(5)),
      "very_long_table_name_very_longton9ae_name_very_long_table_name_"
    )
    assert.strictEqual(
      shorten("resource__" + "nested_field_".repeat(6)),
      "resource__nested_field_nestedpsgctgd_nested_field_nested_field_"
    )
  })

  it("is deterministic and keeps distinct names distinct", () => {
    const a = "c".repeat(80) + "_one"
    const b = "c".repeat(80) + "_two"
    assert.strictEqual(shorten(a), shorten(a))
    assert.notStrictEqual(shorten(a), shorten(b))
    assert.strictEqual(bytes(shorten(a)), 63)
  })

  it("counts UTF-8 bytes and never splits a character", () => {
    const s = "ü".repeat(40) // 80 bytes
    const out = shorten(s)
    assert.isAtMost(bytes(out), 63)
    assert.notInclude(out, "\uFFFD")
    assert.strictEqual(Buffer.from(out, "utf8").toString("utf8"), out)
    assert.strictEqual(shorten("ab".repeat(20), 10).length, 10)
  })
})
