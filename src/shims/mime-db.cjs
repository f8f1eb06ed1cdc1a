/*
 * Shim for the `mime-db` package, used only in the bundle (scripts/bundle.ts aliases it).
 *
 * The quirk: Koa reaches mime-db through mime-types, type-is and accepts (two copies of
 * the database in the tree), and mime-types indexes all ~2,500 types when it is first
 * loaded. That cost about a third of xprov's own start-up time (measured with
 * --cpu-prof), for content negotiation xprov never does: it writes
 * `application/json` itself and answers nothing else. This table keeps the types Koa
 * itself may set. CommonJS because mime-db's consumers require() a plain object keyed
 * by type.
 */
'use strict';
module.exports = {
  'application/json': { source: 'iana', charset: 'UTF-8', compressible: true, extensions: ['json'] },
  'application/octet-stream': { source: 'iana', compressible: false, extensions: ['bin'] },
  'text/html': { source: 'iana', charset: 'UTF-8', compressible: true, extensions: ['html', 'htm'] },
  'text/plain': { source: 'iana', charset: 'UTF-8', compressible: true, extensions: ['txt', 'text'] },
};
