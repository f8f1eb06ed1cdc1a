/**
 * `xprov iotedge-config`: prints the `provisioning:` block of IoT Edge's config.yaml
 * that matches xprov's listeners, from the same `--listen` / `--config` as serve.
 */
import { parseArgs } from 'node:util';
import { daemonEndpoint, provisioningBlock } from '../config/iotedge-provisioning.js';
import { UsageError } from '../errors.js';
import { serveConfigFromArgs } from './shared/serve-options.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov iotedge-config [--config FILE] [--listen URL]... [--socket-path PATH]

Prints the provisioning: block of IoT Edge's config.yaml (1.0.x-1.1) that points the
daemon at xprov: its first unix:// listener, else its fd:// one, else its TCP one.
Takes the options of xprov serve (see xprov serve --help), so that the same command
line or config file gives the same answer as the running service.

  --socket-path PATH
      the path of a socket systemd passes (the .socket unit's ListenStream=): xprov's
      configuration only names fd:// listeners, systemd decides where they are`;

/** Takes `--socket-path` out of `argv`: the rest is serve's options. */
function splitSocketPath(argv: readonly string[]): { socketPath: string | undefined; serveArgs: string[] } {
  const { tokens } = parseArgs({ args: [...argv], options: { 'socket-path': { type: 'string' } }, strict: false, allowPositionals: true, tokens: true });
  const dropped = new Set<number>();
  let socketPath: string | undefined;
  for (const token of tokens) {
    if (token.kind === 'option' && token.name === 'socket-path') {
      if (token.value === undefined) {
        throw new UsageError("option '--socket-path <value>' argument missing");
      }
      socketPath = token.value;
      dropped.add(token.index);
      if (token.inlineValue === false) {
        dropped.add(token.index + 1);
      }
    }
  }
  return { socketPath, serveArgs: argv.filter((_, index) => !dropped.has(index)) };
}

/** Prints the block; resolves with the exit code. */
export function iotedgeConfigCommand(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(`${USAGE}\n`);
    return Promise.resolve(0);
  }
  const { socketPath, serveArgs } = splitSocketPath(argv);
  const config = serveConfigFromArgs(serveArgs, io);
  // A ConfigError goes up to the CLI's main, which prints it and exits 2.
  const endpoint = daemonEndpoint(config.listen, socketPath);
  io.stdout.write(provisioningBlock(endpoint));
  return Promise.resolve(0);
}
