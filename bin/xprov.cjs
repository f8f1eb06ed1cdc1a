#!/usr/bin/env node
/*
 * The xprov launcher. Runs the bundle dist/xprov.cjs (all of xprov and its dependencies
 * in one file, built by `make build`) with V8's code cache dist/xprov.cjs.cache.
 *
 * Why: on the small devices xprov runs on, compiling Koa, pino and yaml from source at
 * every start costs more than Node's own boot. With the cache V8 skips parsing and
 * compiling; it rejects a cache made by another Node or V8 version and compiles as
 * usual, so a stale cache costs time, never correctness. (Node 22's
 * module.enableCompileCache does the same but writes at run time; xprov's install
 * directory is read-only under systemd's ProtectSystem=strict, so the cache is made
 * once, at build time, by scripts/bundle.ts.)
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, wrap } = require('node:module');

const bundle = path.join(__dirname, '..', 'dist', 'xprov.cjs');
const cacheFile = `${bundle}.cache`;

let source;
try {
  source = fs.readFileSync(bundle, 'utf8');
} catch {
  process.stderr.write(`xprov: ${bundle} is missing; run \`make build\` first\n`);
  process.exit(70);
}
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}

const script = new vm.Script(wrap(source), { filename: bundle, cachedData });
if (process.env.XPROV_WRITE_CODE_CACHE === '1') {
  // Only the build sets this: after a representative run, the cache then holds every
  // function that run compiled, not just the top level.
  delete process.env.XPROV_WRITE_CODE_CACHE;
  process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, path.dirname(bundle));
