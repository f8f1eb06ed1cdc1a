/** Reading what `xprov store set` is given by file or stdin, bounded like a store file. */
import path from 'node:path';
import { MAX_STORE_BYTES, readStoreFile } from '../../store/read-store-file.js';
import { UsageError } from '../../errors.js';
import type { CliIo } from '../shared/io.js';

/** Reads the inputs named on the command line: files, or `-` for `io`'s stdin (once). */
export class Inputs {
  #stdinTakenBy: string | undefined;

  constructor(private readonly io: CliIo) {}

  /** The text of `file` (or stdin for `-`), named in errors by its option `--option`. */
  async read(option: string, file: string): Promise<string> {
    if (file !== '-') {
      const read = await readStoreFile(path.resolve(file));
      if (!read.ok) {
        throw new UsageError(`--${option} ${file} ${read.problem}`);
      }
      return read.text;
    }
    if (this.#stdinTakenBy !== undefined) {
      throw new UsageError(`--${option} and --${this.#stdinTakenBy} cannot both read stdin`);
    }
    this.#stdinTakenBy = option;
    if (this.io.stdin.isTTY === true) {
      this.io.stderr.write(`xprov: reading --${option} from the terminal; end with Ctrl-D\n`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const read of this.io.stdin) {
      const chunk = typeof read === 'string' ? Buffer.from(read) : read;
      size += chunk.length;
      if (size > MAX_STORE_BYTES) {
        throw new UsageError(`--${option} -: stdin holds more than ${MAX_STORE_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
