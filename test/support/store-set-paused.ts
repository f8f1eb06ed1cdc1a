/**
 * Test-only: `xprov store set ARGS` (the arguments after `set`) that stops once the new
 * content is in its temporary file and checked, before anything is replaced, says so
 * on stderr and waits to be killed. Run as a child process (xprov-process.ts, option
 * `script`), so that a test can SIGKILL the writer exactly there. It reaches the
 * writer through storeSet's in-process seam: nothing in the shipped xprov reads an
 * environment variable or anything else to stop there.
 */
import { fileURLToPath } from 'node:url';
import { processIo } from '../../src/cli/shared/io.js';
import { storeSet } from '../../src/cli/store-set.js';

/** What this script prints on stderr once it has stopped. */
export const PAUSED = 'paused before replacing';

/** The path of this script once built (build/test/support/store-set-paused.js). */
export const STORE_SET_PAUSED = fileURLToPath(import.meta.url);

/** Waits until killed: the interval keeps the event loop (and the process) alive. */
function forever(): Promise<never> {
  return new Promise<never>(() => {
    setInterval(() => undefined, 60_000);
  });
}

// Run, not imported (the tests import it for its path and message).
if (process.argv[1] === STORE_SET_PAUSED) {
  const code = await storeSet(process.argv.slice(2), processIo(), {
    beforeReplace: async (temp) => {
      process.stderr.write(`${PAUSED} (new content in ${temp})\n`);
      await forever();
    },
  });
  process.exitCode = code;
}
