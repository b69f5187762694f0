/**
 * The trees' queue in memory, for the in-memory workflow engine (one process, tests). The same
 * semantics as @effect/experimental's `PersistedQueue.layerStoreMemory` (an id is offered once;
 * an item whose taker fails goes back with one more attempt, an interrupted one without, until
 * `maxAttempts`), without its race: there, two takers woken for one item both read the set, and
 * the one that finds it empty dies ("unsafeHead: empty iterable"). Here it waits again.
 */
import * as PersistedQueue from "@effect/experimental/PersistedQueue"
import { Effect, Exit, Layer } from "effect"

interface Entry {
  readonly id: string
  attempts: number
  readonly element: unknown
}

export const layerStore: Layer.Layer<PersistedQueue.PersistedQueueStore> = Layer.sync(PersistedQueue.PersistedQueueStore, () => {
  const offered = new Set<string>()
  const queues = new Map<string, { readonly ready: Effect.Latch; readonly items: Set<Entry> }>()
  const queueOf = (name: string) => {
    let queue = queues.get(name)
    if (queue === undefined) {
      queue = { ready: Effect.unsafeMakeLatch(false), items: new Set() }
      queues.set(name, queue)
    }
    return queue
  }
  return PersistedQueue.PersistedQueueStore.of({
    offer: (options) =>
      Effect.sync(() => {
        if (offered.has(options.id)) return
        offered.add(options.id)
        const queue = queueOf(options.name)
        queue.items.add({ id: options.id, attempts: 0, element: options.element })
        queue.ready.unsafeOpen()
      }),
    take: (options) =>
      Effect.gen(function*() {
        const queue = queueOf(options.name)
        let item: Entry | undefined
        while (item === undefined) {
          yield* queue.ready.await
          // Another taker woken with this one may have had the last item: wait again.
          item = queue.items.values().next().value
          if (item !== undefined) queue.items.delete(item)
          if (queue.items.size === 0) queue.ready.unsafeClose()
        }
        const taken = item
        yield* Effect.addFinalizer((exit) =>
          Effect.sync(() => {
            if (Exit.isSuccess(exit)) return
            if (!Exit.isInterrupted(exit)) taken.attempts += 1
            if (taken.attempts >= options.maxAttempts) return
            queue.items.add(taken)
            queue.ready.unsafeOpen()
          })
        )
        return taken
      })
  })
})
