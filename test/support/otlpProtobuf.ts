/**
 * Just enough of a protobuf reader for OTLP's TracesData and MetricsData (field numbers from
 * opentelemetry-proto's trace.proto, metrics.proto and common.proto), for the receiver in
 * otlpReceiver.ts.
 */
export type AttributeValue = string | number | boolean | undefined

export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: number
  readonly attributes: Readonly<Record<string, AttributeValue>>
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number
}

export interface ReceivedPoint {
  readonly metric: string
  readonly attributes: Readonly<Record<string, AttributeValue>>
  /** A sum's or gauge's value. */
  readonly value?: number | undefined
  /** A histogram's count and sum. */
  readonly count?: number | undefined
  readonly sum?: number | undefined
}

interface Field {
  readonly no: number
  /** A varint's or fixed field's value. */
  readonly int: bigint
  /** A length-delimited field's bytes. */
  readonly bytes: Uint8Array
}

const empty = new Uint8Array(0)

const fieldsOf = (buf: Uint8Array): Array<Field> => {
  const out: Array<Field> = []
  let at = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = buf[at++]
      if (byte === undefined) throw new Error("protobuf: truncated varint")
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
    }
  }
  const fixed = (size: number): bigint => {
    let result = 0n
    for (let i = size - 1; i >= 0; i--) result = (result << 8n) | BigInt(buf[at + i] ?? 0)
    at += size
    return result
  }
  while (at < buf.length) {
    const key = Number(varint())
    const no = key >>> 3
    switch (key & 7) {
      case 0:
        out.push({ no, int: varint(), bytes: empty })
        break
      case 1:
        out.push({ no, int: fixed(8), bytes: empty })
        break
      case 2: {
        const length = Number(varint())
        out.push({ no, int: 0n, bytes: buf.subarray(at, at + length) })
        at += length
        break
      }
      case 5:
        out.push({ no, int: fixed(4), bytes: empty })
        break
      default:
        throw new Error(`protobuf: wire type ${key & 7} of field ${no}`)
    }
  }
  return out
}

const all = (buf: Uint8Array, no: number): Array<Field> => fieldsOf(buf).filter((f) => f.no === no)
const one = (buf: Uint8Array, no: number): Field | undefined => fieldsOf(buf).find((f) => f.no === no)
const text = (f: Field | undefined): string => (f === undefined ? "" : Buffer.from(f.bytes).toString("utf8"))
const hex = (f: Field | undefined): string | undefined => (f === undefined || f.bytes.length === 0 ? undefined : Buffer.from(f.bytes).toString("hex"))
const double = (f: Field): number => {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, f.int, true)
  return view.getFloat64(0, true)
}

/** KeyValue { key = 1; AnyValue value = 2 }; AnyValue { string 1, bool 2, int64 3, double 4 }. */
const attributes = (fields: ReadonlyArray<Field>): Record<string, AttributeValue> =>
  Object.fromEntries(fields.map((kv) => {
    const value = one(kv.bytes, 2)
    const inner = value === undefined ? undefined : fieldsOf(value.bytes)[0]
    const decoded: AttributeValue = inner === undefined
      ? undefined
      : inner.no === 1
      ? text(inner)
      : inner.no === 2
      ? inner.int !== 0n
      : inner.no === 3
      ? Number(BigInt.asIntN(64, inner.int))
      : inner.no === 4
      ? double(inner)
      : undefined
    return [text(one(kv.bytes, 1)), decoded]
  }))

/** TracesData → ResourceSpans (2: scope_spans) → ScopeSpans (2: spans) → Span. */
export const decodeTraces = (body: Uint8Array): Array<ReceivedSpan> =>
  all(body, 1).flatMap((rs) => all(rs.bytes, 2)).flatMap((ss) => all(ss.bytes, 2)).map((span) => {
    const fields = fieldsOf(span.bytes)
    const get = (no: number) => fields.find((f) => f.no === no)
    const status = get(15)
    return {
      traceId: hex(get(1)) ?? "",
      spanId: hex(get(2)) ?? "",
      parentSpanId: hex(get(4)),
      name: text(get(5)),
      kind: Number(get(6)?.int ?? 0n),
      attributes: attributes(fields.filter((f) => f.no === 9)),
      statusCode: status === undefined ? 0 : Number(one(status.bytes, 3)?.int ?? 0n)
    }
  })

/** Each ResourceSpans' Resource { attributes 1 }. */
export const decodeTraceResources = (body: Uint8Array): Array<Record<string, AttributeValue>> =>
  all(body, 1).map((rs) => {
    const resource = one(rs.bytes, 1)
    return resource === undefined ? {} : attributes(all(resource.bytes, 1))
  })

/** MetricsData → ResourceMetrics (2) → ScopeMetrics (2) → Metric { name 1, gauge 5, sum 7, histogram 9 }. */
export const decodeMetrics = (body: Uint8Array): Array<ReceivedPoint> =>
  all(body, 1).flatMap((rm) => all(rm.bytes, 2)).flatMap((sm) => all(sm.bytes, 2)).flatMap((metric) => {
    const name = text(one(metric.bytes, 1))
    const numbers = [...all(metric.bytes, 5), ...all(metric.bytes, 7)].flatMap((sum) => all(sum.bytes, 1)).map((point) => {
      // NumberDataPoint { as_double 4, as_int 6 (sfixed64), attributes 7 }
      const asDouble = one(point.bytes, 4)
      const asInt = one(point.bytes, 6)
      return {
        metric: name,
        attributes: attributes(all(point.bytes, 7)),
        value: asDouble !== undefined ? double(asDouble) : asInt === undefined ? 0 : Number(BigInt.asIntN(64, asInt.int))
      }
    })
    // HistogramDataPoint { count 4, sum 5, attributes 9 }
    const histograms = all(metric.bytes, 9).flatMap((h) => all(h.bytes, 1)).map((point) => {
      const sum = one(point.bytes, 5)
      return {
        metric: name,
        attributes: attributes(all(point.bytes, 9)),
        count: Number(one(point.bytes, 4)?.int ?? 0n),
        sum: sum === undefined ? undefined : double(sum)
      }
    })
    return [...numbers, ...histograms]
  })
