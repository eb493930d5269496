// A dynloader's hand-over measured in a private namespace: a 100,000-entry loader set replaced by a new
// 100,000-entry list through fw-writer (one set.replace): seconds from data ready to swapped, peak RSS rise.
import { performance } from 'node:perf_hooks';
import { createActor, createMachine, type AnyActorRef } from 'xstate';
import { Exec } from '../../src/adapters/exec.js';
import { AddressMatcher } from '../../src/core/aggregate.js';
import { emptyEntries, type FirewallPlan } from '../../src/core/fw-plan.js';
import { fwWriterLogic } from '../../actors/fw-writer.js';
import { IpsetBackend } from '../../actors/fw/ipset-backend.js';
import { NftBackend } from '../../actors/fw/nft-backend.js';
import { prepareList } from '../../actors/dynload/prepare.js';
import { loggerFor } from '../../src/log.js';
import { generateListText } from './aggregate.bench.js';

export interface DynloadReplace {
  backend: 'ipset' | 'nftables';
  entries: number;
  /** parse + validate + carve + aggregate + checksum of the downloaded text */
  prepareSeconds: number;
  /** set.replace sent -> fw.applied received: the kernel holds the new set */
  swapSeconds: number;
  peakRssIncreaseMB: number;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const MB = 1024 * 1024;
const SPEC = { kind: 'list' as const, format: 'plain' as const, column: 1, minPrefixV4: 8, minPrefixV6: 19, maxEntries: 10_000_000 };

export async function benchDynloadReplace(ns: string, name: 'ipset' | 'nftables', n: number): Promise<DynloadReplace> {
  const exec = new Exec(ns);
  const backend = name === 'ipset' ? new IpsetBackend(exec, { batchThreshold: 64 }) : new NftBackend(exec, { hookPriority: -10 });
  const noWhitelist = AddressMatcher.fromEntries(emptyEntries());
  const first = prepareList(generateListText(n, 1), SPEC, noWhitelist);
  const plan: FirewallPlan = {
    sets: [
      { source: 'whitelist', verdict: 'accept', entries: emptyEntries() },
      { source: 'dl:bench', verdict: 'drop', entries: first.entries },
      { source: 'mod:LG', verdict: 'drop', entries: emptyEntries() },
    ],
  };
  const writer = createActor(fwWriterLogic({ backend, rebuildPlan: async () => plan, log: loggerFor('bench') }), {
    input: { verifyIntervalMs: 3_600_000, retryInitialMs: 100, retryMaxMs: 1000 },
  }).start();
  const waiting = new Map<string, () => void>();
  const inbox = createActor(
    createMachine({ on: { '*': { actions: ({ event }) => waiting.get((event as unknown as { opId: string }).opId)?.() } } }),
  ).start() as AnyActorRef;
  const request = (opId: string, ev: Record<string, unknown>) =>
    new Promise<void>((resolve) => {
      waiting.set(opId, resolve);
      writer.send({ ...ev, opId, replyTo: inbox } as never);
    });
  try {
    await request('plan', { type: 'plan.apply', plan });
    const text = generateListText(n, 2);
    global.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    const next = prepareList(text, SPEC, noWhitelist);
    const t1 = performance.now();
    await request('swap', { type: 'set.replace', set: { source: 'dl:bench', verdict: 'drop', entries: next.entries } });
    const t2 = performance.now();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { backend: name, entries: next.count, prepareSeconds: r3((t1 - t0) / 1000), swapSeconds: r3((t2 - t1) / 1000), peakRssIncreaseMB: r3((peak - base) / MB) };
  } finally {
    await request('td', { type: 'fw.teardown' });
    writer.stop();
    await backend.close();
  }
}
