/**
 * An OTLP/HTTP receiver on 127.0.0.1 (port 0) for one test: it accepts POST /v1/traces and
 * /v1/metrics, as JSON or protobuf, and decodes what it got into plain spans and data points.
 */
import { Effect, Schema } from "effect"
import type { Scope } from "effect/Scope"
import { createServer } from "node:http"
import { type AttributeValue, decodeMetrics, decodeTraceResources, decodeTraces, type ReceivedPoint, type ReceivedSpan } from "./otlpProtobuf.js"

export type { AttributeValue, ReceivedPoint, ReceivedSpan } from "./otlpProtobuf.js"

export interface ReceivedRequest {
  readonly path: string
  readonly contentType: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
}

export interface OtlpReceiver {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  readonly url: string
  readonly requests: () => ReadonlyArray<ReceivedRequest>
  readonly spans: () => ReadonlyArray<ReceivedSpan>
  /** The resource attributes (`service.name`, ...) of the spans received. */
  readonly resources: () => ReadonlyArray<Readonly<Record<string, AttributeValue>>>
  /** The points of the last metrics export (each export is a cumulative snapshot). */
  readonly points: () => ReadonlyArray<ReceivedPoint>
}

// OTLP JSON, as far as these tests read it.
const KeyValue = Schema.Struct({
  key: Schema.String,
  value: Schema.Struct({
    stringValue: Schema.optional(Schema.String),
    intValue: Schema.optional(Schema.Union(Schema.Number, Schema.NumberFromString)),
    doubleValue: Schema.optional(Schema.Number),
    boolValue: Schema.optional(Schema.Boolean)
  })
})
const Attributes = Schema.Array(KeyValue)
const JsonTraces = Schema.Struct({
  resourceSpans: Schema.Array(Schema.Struct({
    resource: Schema.Struct({ attributes: Attributes }),
    scopeSpans: Schema.Array(Schema.Struct({
      spans: Schema.Array(Schema.Struct({
        traceId: Schema.String,
        spanId: Schema.String,
        parentSpanId: Schema.optional(Schema.String),
        name: Schema.String,
        kind: Schema.Number,
        attributes: Attributes,
        status: Schema.optional(Schema.Struct({ code: Schema.optional(Schema.Number) }))
      }))
    }))
  }))
})
const IntOrString = Schema.Union(Schema.Number, Schema.NumberFromString)
const JsonPoint = Schema.Struct({
  attributes: Attributes,
  asInt: Schema.optional(IntOrString),
  asDouble: Schema.optional(Schema.Number),
  count: Schema.optional(IntOrString),
  sum: Schema.optional(Schema.Number)
})
const Points = Schema.Struct({ dataPoints: Schema.Array(JsonPoint) })
const JsonMetrics = Schema.Struct({
  resourceMetrics: Schema.Array(Schema.Struct({
    scopeMetrics: Schema.Array(Schema.Struct({
      metrics: Schema.Array(Schema.Struct({
        name: Schema.String,
        sum: Schema.optional(Points),
        gauge: Schema.optional(Points),
        histogram: Schema.optional(Points)
      }))
    }))
  }))
})

export const attributesOf = (list: typeof Attributes.Type): Record<string, AttributeValue> =>
  Object.fromEntries(list.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue]))

const jsonSpans = (body: unknown): Array<ReceivedSpan> =>
  Schema.decodeUnknownSync(JsonTraces)(body).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).map((s) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId === undefined || s.parentSpanId === "" ? undefined : s.parentSpanId,
    name: s.name,
    kind: s.kind,
    attributes: attributesOf(s.attributes),
    statusCode: s.status?.code ?? 0
  }))

const jsonResources = (body: unknown): Array<Record<string, AttributeValue>> =>
  Schema.decodeUnknownSync(JsonTraces)(body).resourceSpans.map((r) => attributesOf(r.resource.attributes))

const jsonPoints = (body: unknown): Array<ReceivedPoint> =>
  Schema.decodeUnknownSync(JsonMetrics)(body).resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)).flatMap(
    (m) => [
      ...((m.sum ?? m.gauge)?.dataPoints.map((p) => ({
        metric: m.name,
        attributes: attributesOf(p.attributes),
        value: p.asDouble ?? p.asInt
      })) ?? []),
      ...(m.histogram?.dataPoints.map((p) => ({ metric: m.name, attributes: attributesOf(p.attributes), count: p.count, sum: p.sum })) ??
        [])
    ]
  )

export const otlpReceiver: Effect.Effect<OtlpReceiver, never, Scope> = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<OtlpReceiver & { readonly close: () => Promise<void> }>((resolve) => {
      const requests: Array<ReceivedRequest> = []
      const spans: Array<ReceivedSpan> = []
      const resources: Array<Record<string, AttributeValue>> = []
      let points: ReadonlyArray<ReceivedPoint> = []
      const server = createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const body = Buffer.concat(chunks)
          const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname
          const contentType = req.headers["content-type"] ?? ""
          requests.push({ path, contentType, headers: req.headers })
          const json = contentType.includes("json")
          if (req.method === "POST" && path === "/v1/traces") {
            const parsed: unknown = json ? JSON.parse(body.toString("utf8")) : undefined
            spans.push(...(json ? jsonSpans(parsed) : decodeTraces(body)))
            resources.push(...(json ? jsonResources(parsed) : decodeTraceResources(body)))
          } else if (req.method === "POST" && path === "/v1/metrics") {
            points = json ? jsonPoints(JSON.parse(body.toString("utf8"))) : decodeMetrics(body)
          } else {
            res.statusCode = 404
          }
          res.setHeader("content-type", json ? "application/json" : "application/x-protobuf")
          res.end(json ? "{}" : "")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resolve({
          url: `http://127.0.0.1:${port}`,
          requests: () => requests,
          spans: () => spans,
          resources: () => resources,
          points: () => points,
          close: () => new Promise((done) => server.close(() => done()))
        })
      })
    })
  ),
  (receiver) => Effect.promise(() => receiver.close())
)

/** The points of one metric whose attributes include `tags`. */
export const pointsOf = (
  points: ReadonlyArray<ReceivedPoint>,
  metric: string,
  tags: Readonly<Record<string, string>>
): ReadonlyArray<ReceivedPoint> =>
  points.filter((p) => p.metric === metric && Object.entries(tags).every(([k, v]) => p.attributes[k] === v))

/** The spans as a tree of names: each span's name, its children's below it (sorted, for comparison). */
export interface SpanTree {
  readonly name: string
  readonly children: ReadonlyArray<SpanTree>
}

const byJson = (a: SpanTree, b: SpanTree) => JSON.stringify(a).localeCompare(JSON.stringify(b))

/** A tree with every level's children in one order (that of `treeOf`). */
export const sortTree = (tree: SpanTree): SpanTree => ({ name: tree.name, children: tree.children.map(sortTree).sort(byJson) })

/** The tree of names under `root`, of the spans `keep` keeps. */
export const treeOf = (spans: ReadonlyArray<ReceivedSpan>, root: ReceivedSpan, keep: (span: ReceivedSpan) => boolean = () => true): SpanTree =>
  sortTree({ name: root.name, children: spans.filter((s) => s.parentSpanId === root.spanId && keep(s)).map((s) => treeOf(spans, s, keep)) })
