/**
 * The `xprov` command line: dispatches to subcommands. Usage and configuration errors
 * print one line on stderr and exit 2; runtime failures exit 1.
 */
import pkg from '../package.json' with { type: 'json' };
import { dpsCommand } from './cli/dps.js';
import { serveCommand } from './cli/serve.js';
import { UsageError } from './cli/usage-error.js';

const USAGE = `usage: xprov <command> [options]

commands:
  serve     serve the IoT Edge external provisioning API (xprov serve --help)
  dps       register with the Device Provisioning Service (xprov dps --help)

options:
  --help     this text
  --version  print the version`;

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  serve: serveCommand,
  dps: dpsCommand,
};

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    process.stderr.write(`xprov: unknown command ${JSON.stringify(command)} (see xprov --help)\n`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`xprov: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
