/**
 * A resource as an Effect Stream of pages: `Stream.paginateEffect` whose state is the next
 * request, so pages are fetched one at a time, only when the consumer pulls (memory does
 * not grow with the number of pages). Each page's records are picked by the data selector
 * and decoded by the resource's Schema, if it has one.
 */
import { Data, Effect, Either, Option, ParseResult, Redacted, Schema, Stream } from "effect"
import type { ResolvedResource } from "../config/Resolve.js"
import type { Secret } from "../config/Secrets.js"
import type { ApiClientService, ApiError } from "../http/ApiClient.js"
import type { Redactor } from "../http/Redact.js"
import { type PageRequest, sameRequest } from "../paginate/Paginator.js"
import * as DataSelector from "./DataSelector.js"
import { detectSelector } from "./DetectSelector.js"

/** A page that could not be paged on from, or whose records do not fit the resource's Schema. */
export class ExtractError extends Data.TaggedError("ExtractError")<{
  readonly reason: "Pagination" | "Decode"
  readonly resource: string
  /** Redacted URL of the page. */
  readonly url: string
  readonly page: number
  /** Index of the record within its page, for decode errors. */
  readonly recordIndex?: number | undefined
  readonly detail: string
}> {
  override get message(): string {
    const record = this.recordIndex === undefined ? "" : `, record ${this.recordIndex}`
    const what = this.reason === "Decode" ? "record does not match the resource's schema" : "pagination failed"
    return `resource '${this.resource}', page ${this.page + 1} (GET ${this.url})${record}: ${what}: ${this.detail}`
  }
}

export interface ResourcePage<A> {
  /** 0-based page index. */
  readonly index: number
  /** Redacted URL of the page. */
  readonly url: string
  readonly records: ReadonlyArray<A>
  /** HTTP attempts the page took (1 = no retry). */
  readonly attempts: number
}

interface State {
  readonly request: PageRequest
  readonly index: number
  readonly selector: DataSelector.DataSelector | undefined
}

const decoderFor = (schema: Schema.Schema.AnyNoContext | undefined) =>
  schema === undefined ? undefined : Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })

/** Streams the pages of one resource. */
export const pages = (
  resource: ResolvedResource<Secret>,
  client: ApiClientService,
  redactor: Redactor
): Stream.Stream<ResourcePage<unknown>, ApiError | ExtractError> => {
  const decode = decoderFor(resource.schema)
  const params: Record<string, string> = {}
  for (const [k, v] of Object.entries(resource.params)) params[k] = v._tag === "Plain" ? v.value : Redacted.value(v.secret)
  const first: State = {
    request: resource.paginator.first({ method: "GET", url: resource.path, params }),
    index: 0,
    selector: resource.dataSelector
  }

  const fetchPage = (state: State): Effect.Effect<readonly [ResourcePage<unknown>, Option.Option<State>], ApiError | ExtractError> =>
    Effect.gen(function*() {
      const response = yield* client.get({
        resource: resource.name,
        page: state.index,
        url: state.request.url,
        params: state.request.params,
        headers: resource.headers
      })
      const url = redactor.url(response.url)
      const fail = (reason: "Pagination" | "Decode", detail: string, recordIndex?: number) =>
        Effect.fail(new ExtractError({ reason, resource: resource.name, url, page: state.index, recordIndex, detail: redactor.text(detail) }))
      // dlt detects the selector on the first page and keeps it for the rest.
      const selector = state.selector ?? detectSelector(response.body)
      const raw = DataSelector.select(selector, response.body)
      let records: ReadonlyArray<unknown> = raw
      if (decode !== undefined) {
        const decoded: Array<unknown> = []
        for (let i = 0; i < raw.length; i++) {
          const result = decode(raw[i])
          if (Either.isLeft(result)) return yield* fail("Decode", ParseResult.TreeFormatter.formatErrorSync(result.left), i)
          decoded.push(result.right)
        }
        records = decoded
      }
      const next = resource.paginator.next({
        request: state.request,
        url: response.url,
        body: response.body,
        headers: response.headers,
        records: raw,
        index: state.index
      })
      if (Either.isLeft(next)) return yield* fail("Pagination", next.left.message)
      if (Option.isSome(next.right) && sameRequest(next.right.value, state.request)) {
        return yield* fail("Pagination", "the paginator asked for the same page again (a loop); stopping instead of paging forever")
      }
      const page: ResourcePage<unknown> = { index: state.index, url, records, attempts: response.attempts }
      return [page, Option.map(next.right, (request) => ({ request, index: state.index + 1, selector }))] as const
    })

  return Stream.paginateEffect(first, fetchPage)
}
