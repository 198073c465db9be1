/**
 * The timers of the long-running loops (delivery, retention, live summaries), injected so that tests do not sleep.
 * The default ones are unref'd: a pending timer never keeps the process (or the plugin's host) alive.
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The global timers, each unref'd where the runtime can (Node, Bun). */
export const unrefTimers: Timers = {
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms)
    ;(timer as { unref?: () => void }).unref?.()
    return timer
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
