/**
 * `xprov dps register [--force]`: runs a DPS registration from the command line (the
 * same settings, state and single registration path as the DPS store) and prints the
 * result with secrets masked. Without --force a saved registration is shown, not
 * repeated: DPS should not be called needlessly.
 */
import { parseArgs } from 'node:util';
import { parseServeConfig } from '../config/config.js';
import { maskSecret } from '../contract/mask.js';
import { UsageError } from '../errors.js';
import { isLogLevel } from '../log.js';
import { DpsStore } from '../store/dps-store.js';
import { parseOrUsage } from './shared/parse-or-usage.js';
import type { CliIo } from './shared/io.js';

const USAGE = `usage: xprov dps register [--force] [--store dps:FILE | --config FILE] [--log-level L] [--insecure-permissions]

Registers the device with DPS using the DPS store's settings and saves the result where
\`xprov serve\` reads it. Prints the assignment; secrets are masked. Exits 1 if DPS
refuses or cannot be reached.
  --force    register again even when a saved registration exists
  --insecure-permissions
             use settings, key and state files that are not trusted, with a warning`;

/** `xprov dps ...`. */
export async function dpsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'register') {
    throw new UsageError(`unknown dps command ${JSON.stringify(sub)} (see xprov dps --help)`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { values } = parseOrUsage(() =>
    parseArgs({
      args: [...rest],
      options: {
        force: { type: 'boolean' },
        store: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        'insecure-permissions': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  const configArgs = [
    ...(values.config ? ['--config', values.config] : []),
    ...(values.store ? ['--store', values.store] : []),
    ...(values['insecure-permissions'] === true ? ['--insecure-permissions'] : []),
  ];
  let config: ReturnType<typeof parseServeConfig>;
  try {
    config = parseServeConfig(configArgs, {
      cwd: io.cwd,
      env: io.env,
      socketActivated: false,
      warn: (m) => io.stderr.write(`xprov: warning: ${m}\n`),
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { store, insecurePermissions } = config;
  if (store.kind !== 'dps') {
    throw new UsageError('the configured store is not a DPS store (use --store dps:FILE or a config file whose store is dps:FILE)');
  }
  const level = values['log-level'] ?? 'warn';
  if (!isLogLevel(level)) {
    throw new UsageError(`unknown log level ${JSON.stringify(level)}`);
  }
  let dps: DpsStore;
  try {
    dps = await DpsStore.open(store.path, io.logger(level, 'stderr'), { registerAtStart: false, insecurePermissions });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  try {
    if (dps.saved !== undefined && values.force !== true) {
      io.stdout.write('saved registration (not repeated; use --force to register again)\n');
    } else {
      const outcome = await dps.registerNow();
      if (!outcome.ok) {
        io.stderr.write(`xprov: DPS registration failed: ${outcome.message}\n`);
        return 1;
      }
      io.stdout.write(outcome.changed ? 'registered: new assignment\n' : 'registered: assignment unchanged\n');
    }
    const info = await dps.getProvisioningInfo();
    const { credentials } = info;
    const lines = [
      `hubName:     ${info.hubName}`,
      `deviceId:    ${info.deviceId}`,
      `status:      ${info.status ?? 'assigned'}`,
      `substatus:   ${info.substatus ?? '(none)'}`,
      `registered:  ${dps.saved?.registeredAt ?? ''}`,
      `credentials: ${credentials.authType} / ${credentials.source}`,
      // Masked as `xprov get` masks them (contract/mask.ts), references included.
      ...(['key', 'identityCert', 'identityPrivateKey'] as const).flatMap((field) => {
        const value = credentials[field];
        return value === undefined ? [] : [`  ${`${field}:`.padEnd(20)}${maskSecret(value)}`];
      }),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await dps.close();
  }
}
