/**
 * SIGINT and SIGTERM. The runtime interrupts the run on the first signal (its finalizers roll
 * back and drop staging); these listeners remember which signal it was, for the exit code and
 * the run's report, and make a second one final.
 */
export type Signal = "SIGINT" | "SIGTERM"

export const signalExitCode = { SIGINT: 130, SIGTERM: 143 } as const

let received: Signal | undefined

/** What stopping means for the command running: a run rolls back, a server closes. */
let stoppingNote = "loads not yet committed roll back"

/** Says what the first signal will do, for commands that are not runs (serve-db, dashboard). */
export const setStoppingNote = (note: string): void => {
  stoppingNote = note
}

/** The first signal received, if any. */
export const receivedSignal = (): Signal | undefined => received

/** Installs the listeners; `say` prints a line on stderr (a signal handler runs outside Effect). */
export const installSignalHandlers = (say: (level: "warning" | "error", text: string) => void): void => {
  const onSignal = (name: Signal) => () => {
    if (received !== undefined) {
      say("error", `${name} again: exiting now`)
      process.exit(signalExitCode[name])
    }
    received = name
    say("warning", `${name}: stopping; ${stoppingNote} (send it again to exit at once)`)
  }
  process.on("SIGINT", onSignal("SIGINT"))
  process.on("SIGTERM", onSignal("SIGTERM"))
}
