/** Waiting for asynchronous effects (file events, background registrations) in tests. */

/**
 * Calls `check` until it resolves, every 20 ms, and returns its value; after
 * `timeoutMs` the last failure is thrown, so the test reports what was still wrong.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
