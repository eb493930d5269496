// Firewall benchmarks in a private network namespace: the master load of a real daemon per backend
// against a bare `ipset restore` of the same entries and the daemon's RSS after the load; live-ban
// latency and the 10,000-ban burst are in live-bans.ts.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Exec } from '../../src/adapters/exec.js';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags.js';
import { bareRestore, listEntries } from './data.js';
import { generateListText } from './aggregate.bench.js';

const WATCHER = fileURLToPath(new URL('../../dist/src/cli/watcher.js', import.meta.url));

export type BackendName = 'ipset' | 'nftables';

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
    const proc = spawn(process.execPath, [...DAEMON_NODE_FLAGS, WATCHER, 'run', '--config-dir', conf, '--state-dir', state, '--run-dir', path.join(root, 'run'), '--log-dir', path.join(root, 'log')], {
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

// Live bans are measured in a child process running with the daemon's Node flags (live-bans.ts).
export { liveBansInChild as liveBans, type LiveBans } from './live-bans.js';

export { generateListText, listEntries };
