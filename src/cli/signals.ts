/**
 * SIGINT and SIGTERM. The runtime interrupts the run on the first signal (its finalizers roll
 * back and drop staging); these listeners remember which signal it was, for the exit code and
 * the run's report, and make a second one final.
 */
export type Signal = "SIGINT" | "SIGTERM"

export const signalExitCode = { SIGINT: 130, SIGTERM: 143 } as const

let received: Signal | undefined

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
    say("warning", `${name}: stopping; loads not yet committed roll back (send it again to exit at once)`)
  }
  process.on("SIGINT", onSignal("SIGINT"))
  process.on("SIGTERM", onSignal("SIGTERM"))
}
