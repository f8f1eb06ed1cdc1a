/**
 * What `xprov edge sync` and `xprov edge reprovision` share: their options, the client
 * of `--endpoint`, and one sync with its report and restart.
 */
import path from 'node:path';
import type { ExternalProvisioningClient } from '../../client/client.js';
import { restartAziot, AZIOT_UNITS, type Systemctl, systemctlFromPath } from '../../edge/restart.js';
import { syncEdge } from '../../edge/sync.js';
import { UsageError } from '../../errors.js';
import { endpointClient, exitOnTransportError, parseEndpointArgs } from './endpoint-args.js';
import type { CliIo } from './io.js';

/** The defaults: aziot's own configuration root, and a tmpfs so that the key is never at rest here. */
export const DEFAULT_AZIOT_DIR = '/etc/aziot';
export const DEFAULT_SECRETS_DIR = '/run/xprov-edge';

/** The usage text of the options sync and reprovision share. */
export const EDGE_SYNC_OPTIONS_USAGE = `  --endpoint URL
      the external provisioning endpoint (unix:///path.sock or http://host:port) [required]
  --aziot-dir DIR
      aziot's configuration root, holding keyd/, certd/ and identityd/ [default: ${DEFAULT_AZIOT_DIR}]
  --secrets-dir DIR
      where the key and certificate files go; a tmpfs, so that the key is never at rest
      on this partition [default: ${DEFAULT_SECRETS_DIR}]
  --no-restart
      do not restart aziot's services after a change: list them instead (for the boot
      unit, ordered before them)
  --json
      print the result as JSON
  --timeout-ms N
      give up on an answer after N ms [default: 10000]`;

const OPTIONS = {
  endpoint: { type: 'string' },
  'aziot-dir': { type: 'string' },
  'secrets-dir': { type: 'string' },
  'no-restart': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** The parsed options of sync and reprovision. */
export interface EdgeSyncArgs {
  readonly help: boolean;
  readonly client?: ExternalProvisioningClient;
  readonly aziotDir: string;
  readonly secretsDir: string;
  readonly restart: boolean;
  readonly json: boolean;
}

/** An absolute directory option, resolved against the command's directory. */
function directory(io: CliIo, name: string, value: string | undefined, fallback: string): string {
  if (value === '') {
    throw new UsageError(`--${name} must not be empty`);
  }
  return path.resolve(io.cwd, value ?? fallback);
}

/** Parses `argv` of `command` (`edge sync`, `edge reprovision`); UsageError on anything wrong. */
export function parseEdgeSyncArgs(command: string, argv: readonly string[], io: CliIo): EdgeSyncArgs {
  const { values, positionals } = parseEndpointArgs(argv, OPTIONS);
  const base = {
    aziotDir: directory(io, 'aziot-dir', values['aziot-dir'], DEFAULT_AZIOT_DIR),
    secretsDir: directory(io, 'secrets-dir', values['secrets-dir'], DEFAULT_SECRETS_DIR),
    restart: values['no-restart'] !== true,
    json: values.json === true,
  };
  if (values.help === true) {
    return { help: true, ...base };
  }
  if (positionals.length > 0) {
    throw new UsageError(`xprov ${command} takes no positional arguments; see xprov ${command} --help`);
  }
  if (values.endpoint === undefined) {
    throw new UsageError(`xprov ${command} needs --endpoint URL (unix:///path.sock or http://host:port)`);
  }
  return { help: false, client: endpointClient(command, [values.endpoint], values['timeout-ms']), ...base };
}

/**
 * Syncs once and reports it; restarts aziot's services after a change unless told not
 * to. Exit 1 when the endpoint gives no usable answer or a restart fails (what was
 * applied stays: the next boot or sync starts from it).
 */
export async function runEdgeSync(
  args: EdgeSyncArgs & { readonly client: ExternalProvisioningClient },
  io: CliIo,
  systemctl: Systemctl = systemctlFromPath(io.env),
): Promise<number> {
  return exitOnTransportError(io, async () => {
    const outcome = await syncEdge(args.client, { aziotDir: args.aziotDir, secretsDir: args.secretsDir });
    if (!outcome.ok) {
      io.stderr.write(`xprov: ${outcome.reason}; nothing applied\n`);
      return 1;
    }
    const units = outcome.changed ? [...AZIOT_UNITS] : [];
    let restartError: string | undefined;
    if (outcome.changed && args.restart) {
      try {
        await restartAziot(systemctl);
      } catch (err) {
        restartError = (err as Error).message;
      }
    }
    const { info } = outcome;
    if (args.json) {
      const report = {
        changed: outcome.changed,
        hubName: info.hubName,
        deviceId: info.deviceId,
        authType: info.credentials.authType,
        source: info.credentials.source,
        ...(info.status === undefined ? {} : { status: info.status }),
        ...(info.substatus === undefined ? {} : { substatus: info.substatus }),
        written: outcome.written,
        removed: outcome.removed,
        restart: units,
        restarted: outcome.changed && args.restart && restartError === undefined,
      };
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (!outcome.changed) {
      io.stdout.write(`up to date: ${info.deviceId} on ${info.hubName}; nothing written, nothing restarted\n`);
    } else {
      io.stdout.write(`applied ${info.deviceId} on ${info.hubName} (${info.credentials.authType} from ${info.credentials.source})\n`);
      for (const file of outcome.written) io.stdout.write(`  wrote ${file}\n`);
      for (const file of outcome.removed) io.stdout.write(`  removed ${file}\n`);
      if (!args.restart) {
        io.stdout.write(`not restarted (--no-restart); restart: ${units.join(' ')}\n`);
      } else if (restartError === undefined) {
        io.stdout.write(`restarted ${units.join(' ')}\n`);
      }
    }
    if (restartError !== undefined) {
      io.stderr.write(`xprov: applied, but the restart failed: ${restartError}\n`);
      return 1;
    }
    return 0;
  });
}
