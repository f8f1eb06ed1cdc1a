/** The command line of `xprov store set`: its parseArgs options and their parsed values. */
import { TARGET_OPTIONS } from '../shared/store-target.js';

/** parseArgs options of `xprov store set`. */
export const SET_OPTIONS = {
  ...TARGET_OPTIONS,
  'connection-string': { type: 'string' },
  'connection-string-file': { type: 'string' },
  hub: { type: 'string' },
  device: { type: 'string' },
  key: { type: 'string' },
  'key-file': { type: 'string' },
  'hsm-key': { type: 'boolean' },
  cert: { type: 'string' },
  'private-key': { type: 'string' },
  'by-path': { type: 'boolean' },
  'cert-ref': { type: 'string' },
  'private-key-ref': { type: 'string' },
  status: { type: 'string' },
  substatus: { type: 'string' },
  'no-backup': { type: 'boolean' },
  'tpm-nv-size': { type: 'string' },
} as const;

/** What parseArgs gives for SET_OPTIONS. */
export type SetValues = { readonly [K in keyof typeof SET_OPTIONS]?: (typeof SET_OPTIONS)[K]['type'] extends 'string' ? string : boolean };
