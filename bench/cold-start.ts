/** The reference answer, and the cold starts and idle RSS of both servers. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { machineBusyS, ownAndChildrenCpuS, procStatusKiB } from './proc-measure.js';
import { firstAnswer, newEndpoint, type Reference, requireSameBytes, startServer, withServers } from './server-process.js';
import { type Kind, type Name, progress, settings } from './settings.js';

/** Starts xprov once to learn the exact bytes (and content type) the baseline must serve. */
export async function fetchReference(dir: string): Promise<Reference> {
  const endpoint = await newEndpoint('unix', dir, 'xprov');
  const server = startServer('xprov', endpoint, undefined);
  const { answer } = await withServers([server], () => firstAnswer(server, performance.now()));
  if (answer.contentType === undefined) {
    throw new Error('xprov answered without a content type');
  }
  const bodyFile = path.join(dir, 'body');
  writeFileSync(bodyFile, answer.body);
  return { body: answer.body, contentType: answer.contentType, bodyFile };
}

/** One cold start: spawn to first answer, then idle RSS. */
export async function coldStart(name: Name, kind: Kind, dir: string, reference: Reference): Promise<{ ms: number; idleRssKiB: number }> {
  const endpoint = await newEndpoint(kind, dir, name);
  const t0 = performance.now();
  const server = startServer(name, endpoint, reference);
  return withServers([server], async () => {
    const { ms, answer } = await firstAnswer(server, t0);
    requireSameBytes(server, answer, reference);
    await sleep(settings.idleSettleMs);
    return { ms, idleRssKiB: procStatusKiB(server, 'VmRSS') };
  });
}

/** Cold starts and idle RSS of both servers, alternating; and how busy the rest of the machine was. */
export async function coldStarts(
  kind: Kind,
  dir: string,
  reference: Reference,
): Promise<{ runs: Record<Name, { ms: number[]; rss: number[] }>; otherCpuPct: number }> {
  // One untimed start of each first: the page cache then holds node, the bundle and
  // its code cache for both, as it would on a device that has run xprov before.
  await coldStart('bare', kind, dir, reference);
  await coldStart('xprov', kind, dir, reference);
  const runs: Record<Name, { ms: number[]; rss: number[] }> = { bare: { ms: [], rss: [] }, xprov: { ms: [], rss: [] } };
  // Every server started here has ended (and been reaped) by the end of the loop, so
  // its CPU time is in this process's children's time.
  const ours0 = ownAndChildrenCpuS();
  const machine0 = machineBusyS();
  const t0 = performance.now();
  for (let i = 0; i < settings.coldStartRuns; i++) {
    progress(`${kind}: cold start ${i + 1}/${settings.coldStartRuns}`);
    for (const name of ['bare', 'xprov'] as const) {
      const { ms, idleRssKiB } = await coldStart(name, kind, dir, reference);
      runs[name].ms.push(ms);
      runs[name].rss.push(idleRssKiB);
    }
  }
  const wallS = (performance.now() - t0) / 1000;
  const otherS = machineBusyS() - machine0 - (ownAndChildrenCpuS() - ours0);
  return { runs, otherCpuPct: Math.max(0, (100 * otherS) / wallS) };
}
