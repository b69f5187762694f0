/** `single_page`: the first response is the whole resource. */
import { Either, Option } from "effect"
import type { Paginator } from "./paginator.js"

export const make = (): Paginator => ({
  type: "single_page",
  first: (request) => request,
  next: () => Either.right(Option.none())
})
