// Firewall benchmarks in a private network namespace: the master load of a real daemon per backend
// against a bare `ipset restore` of the same entries, live-ban latency through fw-writer into a set
// already holding the big list, a 10,000-ban burst, and the daemon's RSS after the load.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createActor, createMachine, type AnyActorRef } from 'xstate';
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
import { bareRestore, listEntries } from './data.js';
import { generateListText } from './aggregate.bench.js';

const WATCHER = fileURLToPath(new URL('../../dist/src/cli/watcher.js', import.meta.url));

export type BackendName = 'ipset' | 'nftables';

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** A namespace for one benchmark; removed by the returned cleanup (also on exit). */
export function benchNamespace(): { ns: string; cleanup: () => void } {
  const ns = `wtbench${process.pid}x${Math.floor(Math.random() * 1e6)}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const cleanup = () => {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  };
  process.once('exit', cleanup);
  return { ns, cleanup };
}

/** Seconds of one bare `ipset restore -exist` of the entries (the reference). */
export async function bareIpsetRestore(ns: string, entries: string[]): Promise<number> {
  const exec = new Exec(ns);
  const input = bareRestore(entries);
  const t0 = performance.now();
  const r = await exec.run('ipset', ['restore', '-exist'], { input });
  const s = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`bare ipset restore failed: ${r.stderr}`);
  await exec.run('ipset', ['destroy', 'ref4']);
  await exec.run('ipset', ['destroy', 'ref6']);
  return s;
}

export interface DaemonLoad {
  backend: BackendName;
  entries: number;
  loadSeconds: number;
  planSeconds: number;
  firewallSeconds: number;
  wallSecondsFromSpawn: number;
  rssMB: number;
  peakRssMB: number;
}

/** Starts a real `watcher run` whose blacklist holds the list; measures its master load and RSS. */
export async function daemonMasterLoad(ns: string, backend: BackendName, listText: string): Promise<DaemonLoad> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'watcher-bench-'));
  try {
    const state = path.join(root, 'state');
    mkdirSync(state, { recursive: true });
    writeFileSync(path.join(root, 'blacklist'), listText);
    const conf = path.join(root, 'watcher.d');
    mkdirSync(conf);
    writeFileSync(
      path.join(conf, 'bench.yaml'),
      `firewall:\n  backend: ${backend}\n  netns: ${ns}\n  keep_on_stop: false\n  verify_interval: 1h\nlists:\n  whitelist: ${root}/none\n  blacklist: ${root}/blacklist\n`,
    );
    const t0 = performance.now();
    const proc = spawn(process.execPath, [...DAEMON_NODE_FLAGS, WATCHER, 'run', '--config-dir', conf, '--state-dir', state, '--run-dir', path.join(root, 'run')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const m = await new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setInterval(() => {
        const hit = /total (\d+) entries in ([\d.]+) s \(plan ([\d.]+) s, firewall ([\d.]+) s\)/.exec(err);
        if (hit) {
          clearInterval(timer);
          resolve(hit);
        } else if (proc.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`daemon exited: ${err}`));
        }
      }, 20);
    });
    const wall = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1500)); // let the load's garbage be collected
    const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('close', r));
    return {
      backend,
      entries: Number(m[1]),
      loadSeconds: Number(m[2]),
      planSeconds: Number(m[3]),
      firewallSeconds: Number(m[4]),
      wallSecondsFromSpawn: r3(wall),
      rssMB: Math.round(kb('VmRSS') / 1024),
      peakRssMB: Math.round(kb('VmHWM') / 1024),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function makeBackend(name: BackendName, exec: Exec): FirewallBackend {
  return name === 'ipset' ? new IpsetBackend(exec, { batchThreshold: 64 }) : new NftBackend(exec, { hookPriority: -10 });
}

export interface LiveBans {
  backend: BackendName;
  setEntries: number;
  bans: number;
  medianMs: number;
  p99Ms: number;
  burst: number;
  burstSeconds: number;
  verifiedInKernel: boolean;
}

/** Live bans through fw-writer into a firewall that already holds the list. */
export async function liveBans(ns: string, name: BackendName, listText: string, bans: number, burst: number): Promise<LiveBans> {
  const exec = new Exec(ns);
  const backend = makeBackend(name, exec);
  const c = new EntryCollector(1 << 20);
  parseListText(listText, 'bench.list', c);
  const big = c.finish();
  const plan: FirewallPlan = {
    sets: [
      { source: 'whitelist', verdict: 'accept', entries: emptyEntries() },
      { source: 'dl:bench', verdict: 'drop', entries: big },
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
    const ip = (i: number) => `100.${64 + ((i >>> 16) & 63)}.${(i >>> 8) & 255}.${i & 255}`;
    const op = (i: number): EntryOp => ({ op: 'add', source: 'mod:LG', entry: ip(i), family: 4 });
    const lat: number[] = [];
    for (let i = 0; i < bans; i++) {
      const t0 = performance.now();
      await request(`b${i}`, { type: 'ban.requested', ops: [op(i)] });
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: burst }, (_, k) => request(`u${k}`, { type: 'ban.requested', ops: [op(100_000 + k)] })));
    const burstSeconds = (performance.now() - t0) / 1000;
    const probe =
      name === 'ipset'
        ? await exec.run('ipset', ['test', 'wt-LG-4', ip(100_000 + burst - 1)])
        : await exec.run('nft', ['get', 'element', 'inet', 'watcher', 'LG_v4', `{ ${ip(100_000 + burst - 1)} }`]);
    return {
      backend: name,
      setEntries: big.v4.length + big.v4nets.length + big.v6.length + big.v6nets.length,
      bans,
      medianMs: r3(quantile(lat, 0.5)),
      p99Ms: r3(quantile(lat, 0.99)),
      burst,
      burstSeconds: r3(burstSeconds),
      verifiedInKernel: probe.code === 0,
    };
  } finally {
    await request('td', { type: 'fw.teardown' });
    writer.stop();
    await backend.close();
  }
}

export { generateListText, listEntries };
