/** dlt's `processing_steps` over a page's records. */
import type { ProcessingStep } from "../config/spec.js"

const isIterable = (u: unknown): u is Iterable<unknown> =>
  typeof u === "object" && u !== null && Symbol.iterator in u && typeof u !== "string"

/** filter / map / yield_map, applied in order (dlt's processing_steps). */
export const applySteps = (steps: ReadonlyArray<ProcessingStep>, records: ReadonlyArray<unknown>): ReadonlyArray<unknown> => {
  let out = records
  for (const step of steps) {
    switch (step._tag) {
      case "filter":
        out = out.filter((r) => Boolean(step.f(r)))
        break
      case "map":
        out = out.map((r) => step.f(r))
        break
      case "yield_map":
        out = out.flatMap((r) => {
          const produced = step.f(r)
          return isIterable(produced) ? [...produced] : [produced]
        })
        break
    }
  }
  return out
}
