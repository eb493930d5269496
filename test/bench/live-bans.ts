// Live-ban latency through fw-writer (request sent -> fw.applied back, so the entry is in the kernel)
// into a firewall already holding a big list. Run as its own process (`liveBansInChild`) with the
// daemon's Node flags, so the heap and GC it measures are the daemon's, not the bench runner's.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createActor, fromCallback, type AnyActorRef } from 'xstate';
import { Exec } from '../../src/adapters/exec.js';
import { EntryCollector } from '../../src/core/aggregate.js';
import { parseListText } from '../../src/core/list-file.js';
import { emptyEntries, type EntryOp, type FirewallPlan } from '../../src/core/fw-plan.js';
import { fwWriterLogic } from '../../actors/fw-writer.js';
import { IpsetBackend } from '../../actors/fw/ipset-backend.js';
import { NftBackend } from '../../actors/fw/nft-backend.js';
import type { FirewallBackend } from '../../actors/fw/backend.js';
import { loggerFor } from '../../src/log.js';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags.js';
import { waitForQuiet, type Quiet } from './quiet.js';
import { jsonFromChild, printResultAndExit } from './child.js';

export type BackendName = 'ipset' | 'nftables';

export interface LiveBans {
  backend: BackendName;
  setEntries: number;
  bans: number;
  medianMs: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** main-thread GC pauses that overlapped a single ban: how many bans, and the longest pause */
  bansHitByGc: number;
  /** single bans over the 3 ms target, and how many of them overlapped a GC pause */
  over3Ms: number;
  over3MsHitByGc: number;
  /** CPU time (user + system) of this process per single ban: robust to other load on the machine */
  cpuMsPerBan: number;
  longestGcMs: number;
  burst: number;
  burstSeconds: number;
  /** the wait for a quiet machine after the load, before the single bans (see quiet.ts) */
  quiet: Quiet;
  verifiedInKernel: boolean;
  nodeFlags: string[];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function makeBackend(name: BackendName, exec: Exec): FirewallBackend {
  return name === 'ipset' ? new IpsetBackend(exec, { batchThreshold: 64 }) : new NftBackend(exec, { hookPriority: -10 });
}

/** The bench plan: the big list as a loader's set, and an empty module set for the live bans. */
function benchPlan(listText: string): FirewallPlan {
  const c = new EntryCollector(1 << 20);
  parseListText(listText, 'bench.list', c);
  return {
    sets: [
      { source: 'whitelist', verdict: 'accept', entries: emptyEntries() },
      { source: 'dl:bench', verdict: 'drop', entries: c.finish() },
      { source: 'mod:LG', verdict: 'drop', entries: emptyEntries() },
    ],
  };
}

/**
 * Measures in this process: `bans` single bans one after another, then a burst of `burst` at once.
 * Like the daemon, it keeps no plan once it is applied (a repair would read the list again).
 */
export async function measureLiveBans(ns: string, name: BackendName, readList: () => string, bans: number, burst: number): Promise<LiveBans> {
  const exec = new Exec(ns);
  const backend = makeBackend(name, exec);
  let plan: FirewallPlan | null = benchPlan(readList());
  const setEntries = plan.sets.reduce((n, s) => n + s.entries.v4.length + s.entries.v4nets.length + s.entries.v6.length + s.entries.v6nets.length, 0);
  const rebuildPlan = async () => benchPlan(readList());
  const writer = createActor(fwWriterLogic({ backend, rebuildPlan, log: loggerFor('bench') }), {
    input: { verifyIntervalMs: 3_600_000, retryInitialMs: 100, retryMaxMs: 1000 },
  }).start();
  const waiting = new Map<string, () => void>();
  // The requester is a bare callback actor: the figure is the writer's work, not a requester machine's.
  const inbox = createActor(
    fromCallback<{ type: string; opId: string }>(({ receive }) => {
      receive((event) => {
        waiting.get(event.opId)?.();
        waiting.delete(event.opId);
      });
    }),
  ).start() as AnyActorRef;
  const request = (opId: string, ev: Record<string, unknown>) =>
    new Promise<void>((resolve) => {
      waiting.set(opId, resolve);
      writer.send({ ...ev, opId, replyTo: inbox } as never);
    });
  const pauses: { start: number; end: number }[] = [];
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  try {
    await request('plan', { type: 'plan.apply', plan });
    plan = null;
    const quiet = await waitForQuiet();
    const ip = (i: number) => `100.${64 + ((i >>> 16) & 63)}.${(i >>> 8) & 255}.${i & 255}`;
    const op = (i: number): EntryOp => ({ op: 'add', source: 'mod:LG', entry: ip(i), family: 4 });
    gcs.observe({ entryTypes: ['gc'] });
    const spans: { start: number; end: number }[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < bans; i++) {
      const t0 = performance.now();
      await request(`b${i}`, { type: 'ban.requested', ops: [op(i)] });
      spans.push({ start: t0, end: performance.now() });
    }
    const cpu = process.cpuUsage(cpu0);
    await new Promise((r) => setTimeout(r, 20)); // the observer reports asynchronously
    gcs.disconnect();
    const lat = spans.map((s) => s.end - s.start).sort((a, b) => a - b);
    const hitByGc = (s: { start: number; end: number }) => pauses.some((p) => p.start < s.end && p.end > s.start);
    const slow = spans.filter((s) => s.end - s.start > 3);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: burst }, (_, k) => request(`u${k}`, { type: 'ban.requested', ops: [op(100_000 + k)] })));
    const burstSeconds = (performance.now() - t0) / 1000;
    const probe =
      name === 'ipset'
        ? await exec.run('ipset', ['test', 'wt-LG-4', ip(100_000 + burst - 1)])
        : await exec.run('nft', ['get', 'element', 'inet', 'watcher', 'LG_v4', `{ ${ip(100_000 + burst - 1)} }`]);
    return {
      backend: name,
      setEntries,
      bans,
      medianMs: r3(quantile(lat, 0.5)),
      p90Ms: r3(quantile(lat, 0.9)),
      p99Ms: r3(quantile(lat, 0.99)),
      maxMs: r3(lat[lat.length - 1] ?? NaN),
      bansHitByGc: spans.filter(hitByGc).length,
      over3Ms: slow.length,
      over3MsHitByGc: slow.filter(hitByGc).length,
      cpuMsPerBan: r3((cpu.user + cpu.system) / 1000 / bans),
      longestGcMs: r3(pauses.reduce((m, p) => Math.max(m, p.end - p.start), 0)),
      burst,
      burstSeconds: r3(burstSeconds),
      quiet,
      verifiedInKernel: probe.code === 0,
      nodeFlags: process.execArgv.filter((a, i, all) => !a.startsWith('--import') && all[i - 1] !== '--import'),
    };
  } finally {
    await request('td', { type: 'fw.teardown' });
    writer.stop();
    await backend.close();
  }
}

const SELF = fileURLToPath(import.meta.url);

/** Runs measureLiveBans in a child process with the daemon's Node flags (the list goes through a file). */
export async function liveBansInChild(ns: string, name: BackendName, listText: string, bans: number, burst: number): Promise<LiveBans> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-live-'));
  try {
    const list = path.join(dir, 'list');
    writeFileSync(list, listText);
    return await jsonFromChild<LiveBans>(SELF, [ns, name, list, String(bans), String(burst)], DAEMON_NODE_FLAGS, 'live-ban');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === SELF) {
  const [ns, name, list, bans, burst] = process.argv.slice(2);
  printResultAndExit(measureLiveBans(ns!, name as BackendName, () => readFileSync(list!, 'utf8'), Number(bans), Number(burst)), 'live bans');
}
