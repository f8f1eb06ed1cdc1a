/**
 * IoT Hub device connection strings (`HostName=…;DeviceId=…;SharedAccessKey=…`), what
 * the Azure portal and `az iot hub device-identity connection-string show` give an
 * operator for a symmetric-key device. Other kinds of connection strings (a hub's
 * policy, a module's, an X.509 device's, a SAS token) are refused with what to use
 * instead. Problems name parts, never values: the key is a secret.
 */
import { isShownKey } from '../contract/schema-messages.js';

/** What a device connection string says. */
export interface DeviceConnectionString {
  readonly hubName: string;
  readonly deviceId: string;
  /** The device's symmetric key, base64 as given. */
  readonly key: string;
}

/** Parts that are not a symmetric-key device's, and what to do instead. */
const WRONG_KIND: Readonly<Record<string, string>> = {
  SharedAccessKeyName: "it is a hub's access policy connection string, not a device's (az iot hub device-identity connection-string show)",
  ModuleId: "it is a module's connection string, not the device's",
  x509: 'it is an X.509 device; use --cert and --private-key',
  SharedAccessSignature: 'it holds a SAS token, not the device key the daemon needs',
  GatewayHostName: "it connects through a gateway; the daemon's external provisioning connects to HostName directly",
};
const REQUIRED = ['HostName', 'DeviceId', 'SharedAccessKey'] as const;

/** Parses a device connection string; surrounding whitespace (a file's newline) is ignored. */
export function parseDeviceConnectionString(
  text: string,
): { readonly ok: true; readonly value: DeviceConnectionString } | { readonly ok: false; readonly problem: string } {
  const parts = new Map<string, string>();
  for (const part of text.trim().split(';')) {
    if (part === '') {
      continue;
    }
    const eq = part.indexOf('=');
    const name = eq < 0 ? '' : part.slice(0, eq);
    if (eq <= 0) {
      return { ok: false, problem: 'the connection string must be Name=value parts separated by ;' };
    }
    const wrong = WRONG_KIND[name];
    if (wrong !== undefined) {
      return { ok: false, problem: `the connection string has ${name}: ${wrong}` };
    }
    if (!(REQUIRED as readonly string[]).includes(name)) {
      // A name is shown only if it looks like one: a mangled string may have a key there.
      const shown = isShownKey(name) ? ` ${name}` : '';
      return { ok: false, problem: `the connection string has an unknown part${shown} (expected ${REQUIRED.join(', ')})` };
    }
    if (parts.has(name)) {
      return { ok: false, problem: `the connection string has ${name} twice` };
    }
    parts.set(name, part.slice(eq + 1));
  }
  const missing = REQUIRED.filter((name) => !parts.get(name));
  if (missing.length > 0) {
    return { ok: false, problem: `the connection string lacks ${missing.join(', ')}` };
  }
  return {
    ok: true,
    value: { hubName: parts.get('HostName') ?? '', deviceId: parts.get('DeviceId') ?? '', key: parts.get('SharedAccessKey') ?? '' },
  };
}
