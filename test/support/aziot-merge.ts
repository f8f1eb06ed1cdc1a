/**
 * aziot's configuration merge, for the tests: config.toml, then config.d/*.toml (regular
 * files only) in name order, each patched in: tables merge key by key, arrays
 * concatenate, anything else is replaced by the later file. As read in
 * Azure/iot-identity-service config-common/src/lib.rs (`read_config`, `merge_toml`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';

type Toml = Record<string, unknown>;

function isTable(value: unknown): value is Toml {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** `base` patched with `patch` by config-common's rules (a new value; neither is changed). */
export function mergeToml(base: unknown, patch: unknown): unknown {
  if (isTable(base) && isTable(patch)) {
    const merged: Toml = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      merged[key] = key in merged ? mergeToml(merged[key], value) : value;
    }
    return merged;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    return [...base, ...patch];
  }
  return patch;
}

/** A service's configuration as it reads it: `configFile`, then `configDir`'s `*.toml` in name order. */
export function readAziotConfig(configFile: string, configDir: string): Toml {
  let config: unknown = JSON.parse(JSON.stringify(parse(readFileSync(configFile, 'utf8'))));
  const patches = readdirSync(configDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.toml'))
    .map((entry) => entry.name)
    .sort();
  for (const name of patches) {
    config = mergeToml(config, JSON.parse(JSON.stringify(parse(readFileSync(path.join(configDir, name), 'utf8')))));
  }
  return config as Toml;
}
