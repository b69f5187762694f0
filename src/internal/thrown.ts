/**
 * What a caught JavaScript throw says, for a typed error's detail. User code (a config's
 * function) and hostile data (a response nested thousands of levels deep, which exhausts the
 * stack in any recursive walk) throw plain values; these become a resource's typed error.
 */

/** True for V8's `RangeError: Maximum call stack size exceeded`. */
export const isStackOverflow = (e: unknown): boolean => e instanceof RangeError && /call stack/i.test(e.message)

export const describeThrown = (e: unknown): string =>
  isStackOverflow(e)
    ? "the data is nested too deeply to process (the JavaScript stack ran out)"
    : e instanceof Error
    ? e.message
    : String(e)
