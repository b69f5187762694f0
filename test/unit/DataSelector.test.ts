import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as DataSelector from "../../src/internal/syntax/dataSelector.js"

const parseOk = (source: string): DataSelector.DataSelector => {
  const r = DataSelector.parse(source)
  if (Either.isLeft(r)) throw new Error(`expected ${source} to parse: ${r.left.message}`)
  return r.right
}

const parseErr = (source: string): DataSelector.DataSelectorSyntaxError => {
  const r = DataSelector.parse(source)
  if (Either.isRight(r)) throw new Error(`expected ${source} to fail`)
  return r.left
}

const sel = (source: string, body: unknown) => DataSelector.select(parseOk(source), body)

describe("DataSelector.parse", () => {
  it("parses the supported forms into segments", () => {
    const cases: ReadonlyArray<readonly [string, ReadonlyArray<DataSelector.Segment>]> = [
      ["$", []],
      ["data", [{ _tag: "Key", key: "data" }]],
      ["results", [{ _tag: "Key", key: "results" }]],
      ["data.items", [{ _tag: "Key", key: "data" }, { _tag: "Key", key: "items" }]],
      ["$.data.items", [{ _tag: "Key", key: "data" }, { _tag: "Key", key: "items" }]],
      ["['@odata.value']", [{ _tag: "Key", key: "@odata.value" }]],
      ["$['@odata.value']", [{ _tag: "Key", key: "@odata.value" }]],
      ["$[\"a.b\"]", [{ _tag: "Key", key: "a.b" }]],
      ["[ 'key with spaces' ]", [{ _tag: "Key", key: "key with spaces" }]],
      ["['it\\'s']", [{ _tag: "Key", key: "it's" }]],
      ["data[0].items", [{ _tag: "Key", key: "data" }, { _tag: "Index", index: 0 }, { _tag: "Key", key: "items" }]],
      ["data[-1]", [{ _tag: "Key", key: "data" }, { _tag: "Index", index: -1 }]],
      ["data[*].items", [{ _tag: "Key", key: "data" }, { _tag: "Wildcard" }, { _tag: "Key", key: "items" }]],
      ["data.*", [{ _tag: "Key", key: "data" }, { _tag: "Wildcard" }]],
      ["a.b.c", [{ _tag: "Key", key: "a" }, { _tag: "Key", key: "b" }, { _tag: "Key", key: "c" }]],
      ["cursors.next", [{ _tag: "Key", key: "cursors" }, { _tag: "Key", key: "next" }]],
      ["data['x.y'].z", [{ _tag: "Key", key: "data" }, { _tag: "Key", key: "x.y" }, { _tag: "Key", key: "z" }]],
      ["  data  ", [{ _tag: "Key", key: "data" }]]
    ]
    for (const [source, segments] of cases) {
      const parsed = parseOk(source)
      assert.deepStrictEqual(parsed.segments, segments, source)
      assert.strictEqual(parsed.source, source)
    }
    assert.isTrue(parseOk("data[*].items").hasWildcard)
    assert.isFalse(parseOk("data[0].items").hasWildcard)
  })

  it("reports syntax errors with the selector and the position", () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["data.", /"data\.": expected a key after '\.', found end of selector at position 5/],
      ["['unterminated", /unterminated quoted key \(missing closing '\) at position 1/],
      ["..", /cannot start with '\.'/],
      ["$..data", /recursive descent '\.\.' is not supported at position 1/],
      ["data..items", /recursive descent '\.\.' is not supported at position 4/],
      ["", /it is empty/],
      ["   ", /it is empty/],
      ["data[0", /expected '\]' to close '\[' at position 4, found end of selector/],
      ["data[?(@.x)]", /expected a quoted key, an integer index or '\*' after '\['/],
      ["data[1:2]", /expected '\]'/],
      ["$data", /unexpected 'd', expected '\.' or '\['/],
      ["data items", /unexpected ' '/],
      ["data.]", /expected a key after '\.', found '\]'/],
      ["data[-]", /expected an integer index/]
    ]
    for (const [source, re] of cases) {
      const e = parseErr(source)
      assert.strictEqual(e._tag, "DataSelectorSyntaxError")
      assert.strictEqual(e.selector, source)
      assert.match(e.message, re, source)
    }
  })

  it("unsafeParse throws the syntax error; root is $", () => {
    assert.throws(() => DataSelector.unsafeParse("data."), /expected a key/)
    assert.strictEqual(DataSelector.root.source, "$")
    assert.deepStrictEqual(DataSelector.root.segments, [])
  })

  it("decodes from a string with a Schema (errors are parse errors)", () => {
    const Cfg = Schema.Struct({ data_selector: DataSelector.DataSelectorFromString })
    const ok = Schema.decodeUnknownEither(Cfg)({ data_selector: "data.items" })
    assert.isTrue(Either.isRight(ok))
    if (Either.isRight(ok)) {
      assert.isTrue(DataSelector.isDataSelector(ok.right.data_selector))
      assert.deepStrictEqual(Schema.encodeSync(Cfg)(ok.right), { data_selector: "data.items" })
    }
    const bad = Schema.decodeUnknownEither(Cfg)({ data_selector: "data." })
    assert.isTrue(Either.isLeft(bad))
    if (Either.isLeft(bad)) assert.match(bad.left.message, /data_selector[\s\S]*expected a key after '\.'/)
  })
})

describe("DataSelector.select", () => {
  it("$ selects the whole response", () => {
    assert.deepStrictEqual(sel("$", [1, 2, 3]), [1, 2, 3])
    assert.deepStrictEqual(sel("$", { id: 1 }), [{ id: 1 }])
    assert.deepStrictEqual(sel("$", null), [])
    assert.deepStrictEqual(DataSelector.select(DataSelector.root, [{ a: 1 }]), [{ a: 1 }])
  })

  it("a list gives its elements; a single object gives [object]; null/missing gives []", () => {
    assert.deepStrictEqual(sel("data", { data: [{ id: 1 }, { id: 2 }], next: "x" }), [{ id: 1 }, { id: 2 }])
    assert.deepStrictEqual(sel("results", { results: [] }), [])
    assert.deepStrictEqual(sel("data", { data: { id: 1 } }), [{ id: 1 }])
    assert.deepStrictEqual(sel("data", { data: null }), [])
    assert.deepStrictEqual(sel("data", { other: [1] }), [])
    assert.deepStrictEqual(sel("data.items", { data: null }), [])
    assert.deepStrictEqual(sel("data", "not an object"), [])
    assert.deepStrictEqual(sel("data", { data: 0 }), [0])
    assert.deepStrictEqual(sel("data", { data: [[1, 2], [3]] }), [[1, 2], [3]])
  })

  it("follows nested keys, quoted keys and indices", () => {
    assert.deepStrictEqual(sel("data.items", { data: { items: [1, 2] } }), [1, 2])
    assert.deepStrictEqual(sel("$.data.items", { data: { items: [1, 2] } }), [1, 2])
    assert.deepStrictEqual(sel("a.b.c", { a: { b: { c: [{ x: 1 }] } } }), [{ x: 1 }])
    assert.deepStrictEqual(sel("['@odata.value']", { "@odata.value": [{ x: 1 }], "@odata.nextLink": "u" }), [{ x: 1 }])
    assert.deepStrictEqual(sel("$['@odata.value']", { "@odata.value": [{ x: 2 }] }), [{ x: 2 }])
    assert.deepStrictEqual(sel("[\"a.b\"]", { "a.b": [1], a: { b: [2] } }), [1])
    assert.deepStrictEqual(sel("a.b", { "a.b": [1], a: { b: [2] } }), [2])
    assert.deepStrictEqual(sel("['key with spaces'].v", { "key with spaces": { v: [3] } }), [3])
    assert.deepStrictEqual(sel("data[0].items", { data: [{ items: [1, 2] }, { items: [3] }] }), [1, 2])
    assert.deepStrictEqual(sel("data[-1].items", { data: [{ items: [1, 2] }, { items: [3] }] }), [3])
    assert.deepStrictEqual(sel("data[5].items", { data: [{ items: [1] }] }), [])
    assert.deepStrictEqual(sel("data.0.items", { data: [{ items: [7] }] }), [7])
  })

  it("does not read inherited properties", () => {
    assert.deepStrictEqual(sel("constructor", {}), [])
    assert.deepStrictEqual(sel("toString", { data: [] }), [])
    assert.deepStrictEqual(sel("__proto__", {}), [])
  })

  it("wildcards flatten the matched lists", () => {
    const body = { data: [{ items: [1, 2] }, { items: [3] }, { other: 1 }, { items: null }, { items: { id: 9 } }] }
    assert.deepStrictEqual(sel("data[*].items", body), [1, 2, 3, { id: 9 }])
    // one match that is a list is unwrapped, as dlt does
    assert.deepStrictEqual(sel("data[*].items", { data: [{ items: [1, 2] }] }), [1, 2])
    assert.deepStrictEqual(sel("data[*].items", { data: [] }), [])
    assert.deepStrictEqual(sel("data[*]", { data: [{ a: 1 }, { a: 2 }] }), [{ a: 1 }, { a: 2 }])
    // a trailing wildcard keeps each match as a record
    assert.deepStrictEqual(sel("data[*]", { data: [[1], [2]] }), [[1], [2]])
    assert.deepStrictEqual(sel("data.*", { data: { a: { id: 1 }, b: { id: 2 } } }), [{ id: 1 }, { id: 2 }])
    assert.deepStrictEqual(sel("$[*].rows", [{ rows: [1] }, { rows: [2, 3] }]), [1, 2, 3])
  })
})

describe("DataSelector.readPath", () => {
  it("returns the raw value or undefined", () => {
    const body = { cursors: { next: "abc" }, total: 42, next: null, hasNext: false, data: [{ id: 1 }] }
    assert.strictEqual(DataSelector.readPath(parseOk("cursors.next"), body), "abc")
    assert.strictEqual(DataSelector.readPath(parseOk("total"), body), 42)
    assert.strictEqual(DataSelector.readPath(parseOk("next"), body), null)
    assert.strictEqual(DataSelector.readPath(parseOk("hasNext"), body), false)
    assert.strictEqual(DataSelector.readPath(parseOk("missing.deep"), body), undefined)
    assert.strictEqual(DataSelector.readPath(parseOk("cursors.next.x"), body), undefined)
    assert.deepStrictEqual(DataSelector.readPath(parseOk("data"), body), [{ id: 1 }])
    assert.strictEqual(DataSelector.readPath(parseOk("data[0].id"), body), 1)
    assert.strictEqual(DataSelector.readPath(DataSelector.root, body), body)
  })

  it("returns the list of matches for a wildcard path", () => {
    assert.deepStrictEqual(DataSelector.readPath(parseOk("data[*].id"), { data: [{ id: 1 }, { x: 0 }, { id: 3 }] }), [1, 3])
  })
})
