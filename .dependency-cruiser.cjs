/**
 * The direction of xprov's dependencies, checked by `make lint-deps` (part of `make test`).
 *
 * Layers, bottom up; a module imports only from its own layer or lower ones:
 *
 *   0 base      errors.ts (the error catalogue), log.ts, redact.ts, yaml-text.ts,
 *               files/ (trust checks, atomic writes), endpoint/ (endpoint URLs, host names)
 *   1 contract  contract/, generated/ (from the spec), shims/ (libraries bent to the spec)
 *   2 config    config/
 *   3 dps       dps/
 *   4 store     store/, mock/ (the store `xprov mock` serves)
 *   5 service   service.ts
 *   6 http      http/
 *   7 server    server/
 *   8 cli       cli/, cli.ts, main.ts
 *
 * Beside the stack, the client side: client/ (the public `xprov/client` library),
 * check/ (`xprov check`, built on it) and edge/ (`xprov edge`: the aziot mapping, built
 * on it too) import only base and contract (and check and edge import client): the
 * public client must never pull in server configuration. Nothing of the
 * stack below the cli imports the client side.
 *
 * In cli/, each file directly in the folder is a command; commands never import one
 * another (a group's dispatcher, cli/store.ts, runs its own cli/store-*.ts
 * subcommands). What commands share lives in cli/shared/, which imports no command.
 */

/** The stack's layers, bottom up, each as the paths it holds. */
const LAYERS = [
  { name: 'base', paths: ['^src/errors\\.ts$', '^src/log\\.ts$', '^src/redact\\.ts$', '^src/yaml-text\\.ts$', '^src/files/', '^src/endpoint/'] },
  { name: 'contract', paths: ['^src/contract/', '^generated/', '^src/shims/'] },
  { name: 'config', paths: ['^src/config/'] },
  { name: 'dps', paths: ['^src/dps/'] },
  { name: 'store', paths: ['^src/store/', '^src/mock/'] },
  { name: 'service', paths: ['^src/service\\.ts$'] },
  { name: 'http', paths: ['^src/http/'] },
  { name: 'server', paths: ['^src/server/'] },
  { name: 'cli', paths: ['^src/cli/', '^src/cli\\.ts$', '^src/main\\.ts$'] },
];

const CLIENT_SIDE = ['^src/client/', '^src/check/', '^src/edge/'];

/** One rule per layer: nothing in it imports a layer above it. */
const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.name}`,
  comment: `${layer.name} imports only its own layer or lower ones (see the layer order at the top of .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: layer.paths },
  to: { path: [...LAYERS.slice(index + 1).flatMap((above) => above.paths), ...(index === 0 || index === 1 ? CLIENT_SIDE : [])] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'stack-not-client',
      comment: 'config to server never import the client side (client/, check/): only the cli uses both',
      severity: 'error',
      from: { path: LAYERS.slice(2, -1).flatMap((layer) => layer.paths) },
      to: { path: CLIENT_SIDE },
    },
    {
      name: 'client-side',
      comment: 'the public client (and check/ on it) imports only base and contract: never server configuration, stores or the server',
      severity: 'error',
      from: { path: CLIENT_SIDE },
      to: { path: LAYERS.slice(2).flatMap((layer) => layer.paths) },
    },
    {
      name: 'client-not-check',
      comment: 'check/ and edge/ are built on the client, not the other way round',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: ['^src/check/', '^src/edge/'] },
    },
    {
      name: 'command-not-command',
      comment:
        'commands never import other commands (what they share goes in cli/shared/); a dispatcher such as cli/store.ts runs its own subcommands cli/store-*.ts',
      severity: 'error',
      from: { path: '^src/cli/([^/]+)\\.ts$' },
      to: { path: '^src/cli/[^/]+\\.ts$', pathNot: '^src/cli/$1-[^/]+\\.ts$' },
    },
    {
      name: 'shared-not-command',
      comment: 'cli/shared/ holds what commands share and imports no command',
      severity: 'error',
      from: { path: '^src/cli/shared/' },
      to: { path: '^src/cli/[^/]+\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every import resolves (a typo or a moved file)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a layer must not know a higher one's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
