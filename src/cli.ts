/**
 * The `xprov` command line: dispatches to subcommands. Usage and configuration errors
 * print one line on stderr and exit 2; runtime failures exit 1.
 */
import pkg from '../package.json' with { type: 'json' };
import { dpsCommand } from './cli/dps.js';
import { serveCommand } from './cli/serve.js';
import { exitCodeFor } from './errors.js';
import type { CliIo } from './cli/shared/io.js';

const USAGE = `usage: xprov <command> [options]

commands:
  serve           serve the IoT Edge external provisioning API (xprov serve --help)
  dps             register with the Device Provisioning Service (xprov dps --help)
  check           probe an endpoint as IoT Edge would and check it against the spec (xprov check --help)
  get             print an endpoint's provisioning information, secrets masked (xprov get --help)
  reprovision     send an endpoint the reprovision notice (xprov reprovision --help)
  mock            serve the API from the spec's examples, without secrets (xprov mock --help)
  iotedge-config  print the provisioning: block of IoT Edge's config.yaml (xprov iotedge-config --help)
  store           write, show and validate the store (xprov store --help)
  edge            external provisioning for IoT Edge 1.2 to 1.5, on the IoT Edge partition (xprov edge --help)

options:
  --help     this text
  --version  print the version`;

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIo) => Promise<number>>> = {
  serve: serveCommand,
  dps: dpsCommand,
  // Loaded when run: the serving path (the bundle's start-up) executes none of them.
  check: async (argv, io) => (await import('./cli/check.js')).checkCommand(argv, io),
  get: async (argv, io) => (await import('./cli/get.js')).getCommand(argv, io),
  reprovision: async (argv, io) => (await import('./cli/reprovision.js')).reprovisionCommand(argv, io),
  mock: async (argv, io) => (await import('./cli/mock.js')).mockCommand(argv, io),
  'iotedge-config': async (argv, io) => (await import('./cli/iotedge-config.js')).iotedgeConfigCommand(argv, io),
  store: async (argv, io) => (await import('./cli/store.js')).storeCommand(argv, io),
  edge: async (argv, io) => (await import('./cli/edge.js')).edgeCommand(argv, io),
};

/**
 * Runs the CLI with `argv` (without node and script) on `io` (the process's own in
 * src/main.ts, memory in tests); resolves with the exit code.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version') {
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    io.stderr.write(`xprov: unknown command ${JSON.stringify(command)} (see xprov --help)\n`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    // Configuration and usage errors: one line, exit 2 (errors.ts decides which).
    const code = exitCodeFor(err);
    if (code !== undefined) {
      io.stderr.write(`xprov: ${(err as Error).message}\n`);
      return code;
    }
    throw err;
  }
}
