// Module benchmarks against real parts: ban latency from a line written to the LG FIFO until the
// address is in the kernel set (in-process tree, ipset in a namespace), and the RSS of a real daemon
// idle with all four modules and after tracking 100,000 offenders.
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createActor, fromPromise } from 'xstate';
import { Exec } from '../../src/adapters/exec.js';
import { loadConfig } from '../../src/config/load.js';
import { IpsetBackend } from '../../actors/fw/ipset-backend.js';
import type { FirewallBackend } from '../../actors/fw/backend.js';
import type { EntryOp } from '../../src/core/fw-plan.js';
import { supervisorMachine } from '../../machines/supervisor.js';
import type { ReloaderInput, ReloadResult } from '../../machines/supervisor-types.js';
import { treeSpecs } from '../../src/daemon/children.js';
import { sharedReaders } from '../../actors/module/pipeline.js';
import { benchNamespace } from './firewall.bench.js';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags.js';
import { waitForQuiet } from './quiet.js';
import { jsonFromChild, printResultAndExit } from './child.js';

const WATCHER = fileURLToPath(new URL('../../dist/src/cli/watcher.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const ip = (i: number) => `100.${64 + ((i >>> 16) & 63)}.${(i >>> 8) & 255}.${i & 255}`;
const line = (addr: string) => `Nov 22 01:50:29 web1 sshd[23796]: Failed password for root from ${addr} port 4242 ssh2\n`;

function benchConfigDir(root: string, ns: string | null, modules: string[], limit: number): string {
  const conf = path.join(root, 'watcher.d');
  mkdirSync(conf, { recursive: true });
  let yaml = `firewall:\n  backend: ${ns ? 'ipset' : 'dry-run'}\n  netns: ${ns ?? ''}\n  keep_on_stop: false\nlists:\n  whitelist: ${root}/none\n  blacklist: ${root}/none\nrules:\n  local_dir: ${root}/rules.d\nmodules:\n`;
  for (const m of modules) {
    yaml += `  ${m}:\n    enabled: true\n    limit: ${limit}\n    dns: false\n    inject_fifo: false\n    sources:\n      - { type: fifo, path: ${root}/${m}.fifo }\n`;
  }
  writeFileSync(path.join(conf, 'bench.yaml'), yaml);
  return conf;
}

/** Wraps a backend to report when each entry of a live batch is in the kernel. */
class TimedBackend implements FirewallBackend {
  readonly name;
  readonly waiters = new Map<string, (t: number) => void>();
  constructor(private readonly inner: FirewallBackend) {
    this.name = inner.name;
  }
  probe() { return this.inner.probe(); }
  applyPlan(p: Parameters<FirewallBackend['applyPlan']>[0]) { return this.inner.applyPlan(p); }
  replaceSet(s: Parameters<FirewallBackend['replaceSet']>[0], p: Parameters<FirewallBackend['replaceSet']>[1]) { return this.inner.replaceSet(s, p); }
  async applyBatch(ops: EntryOp[]) {
    await this.inner.applyBatch(ops);
    const t = performance.now();
    for (const op of ops) this.waiters.get(op.entry)?.(t);
  }
  verify(e: Parameters<FirewallBackend['verify']>[0]) { return this.inner.verify(e); }
  teardown() { return this.inner.teardown(); }
  close() { return this.inner.close(); }
}

async function banLatencyHere(n: number, limit = 3): Promise<Record<string, number>> {
  const { ns, cleanup } = benchNamespace();
  const root = mkdtempSync(path.join(os.tmpdir(), 'watcher-lat-'));
  try {
    const loaded = loadConfig({ configDir: benchConfigDir(root, ns, ['LG'], limit), overrides: { state_dir: path.join(root, 'state'), run_dir: path.join(root, 'run') } });
    if (!loaded.ok) throw new Error('bench config invalid');
    const exec = new Exec(ns);
    const backend = new TimedBackend(new IpsetBackend(exec, { batchThreshold: 64 }));
    const deps = { holder: { current: loaded.config }, backend, exec, readers: sharedReaders(), pipelines: new Map() };
    const reloader = fromPromise<ReloadResult, ReloaderInput>(async () => ({ ok: false, problems: ['no reload in benchmarks'] }));
    const root_ = createActor(supervisorMachine.provide({ actors: { reloader } }), { input: { children: treeSpecs(deps), now: Date.now } }).start();
    const fifo = path.join(root, 'LG.fifo');
    for (let i = 0; i < 200 && !(existsSync(fifo) && deps.pipelines.get('LG')?.sources.length); i++) await sleep(50);
    const fd = openSync(fifo, 'w');
    const quiet = await waitForQuiet();
    const lat: number[] = [];
    let late = 0;
    for (let i = 0; i < n; i++) {
      const a = ip(i);
      const applied = new Promise<number>((resolve) => backend.waiters.set(a, resolve));
      let early = false;
      void applied.then(() => (early = true));
      writeSync(fd, line(a).repeat(limit - 1));
      await sleep(1);
      if (early) late++; // banned before the limit-th affair: would be a policy bug
      const t0 = performance.now();
      writeSync(fd, line(a));
      lat.push((await applied) - t0);
      backend.waiters.delete(a);
    }
    closeSync(fd);
    root_.send({ type: 'shutdown.requested' });
    await new Promise<void>((resolve) => root_.subscribe({ complete: () => resolve() }));
    await backend.close();
    lat.sort((a, b) => a - b);
    return {
      bans: n,
      limit,
      medianMs: r3(lat[Math.floor(n / 2)]!),
      p99Ms: r3(lat[Math.floor(n * 0.99)]!),
      maxMs: r3(lat[n - 1]!),
      bannedBeforeLimit: late,
      quietWaitMs: quiet.waitedMs,
      idleBefore: quiet.idle,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
    cleanup();
  }
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? NaN) / 1024);
}

/** A real daemon (dry-run firewall) with all four modules: idle RSS, then RSS with 100,000 offenders. */
export async function benchDaemonRss(offenders: number): Promise<Record<string, number>> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'watcher-rss-'));
  const conf = benchConfigDir(root, null, ['LG', 'MX', 'MB', 'WB'], 5);
  const proc = spawn(process.execPath, [...DAEMON_NODE_FLAGS, WATCHER, 'run', '--config-dir', conf, '--state-dir', path.join(root, 'state'), '--run-dir', path.join(root, 'run'), '--log-dir', path.join(root, 'log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (b: Buffer) => (err += b.toString()));
  try {
    for (let i = 0; i < 300 && (err.match(/reading fifo:/g) ?? []).length < 4; i++) await sleep(50);
    await sleep(3000);
    const idleMB = rssOf(proc.pid!);
    const fd = openSync(path.join(root, 'LG.fifo'), 'w');
    const chunk: string[] = [];
    for (let i = 0; i < offenders; i++) {
      chunk.push(line(ip(i)));
      if (chunk.length === 1000) {
        writeSync(fd, chunk.join(''));
        chunk.length = 0;
      }
    }
    if (chunk.length) writeSync(fd, chunk.join(''));
    closeSync(fd);
    await sleep(5000);
    return { idleFourModulesMB: idleMB, offenders, withOffendersMB: rssOf(proc.pid!) };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('close', r));
    rmSync(root, { recursive: true, force: true });
  }
}

const SELF = fileURLToPath(import.meta.url);

/**
 * FIFO line -> entry in the kernel set, through the whole supervisor tree, in a child process with the
 * daemon's Node flags (its heap, GC and V8 worker threads are the daemon's, not the bench runner's).
 */
export async function benchBanLatency(n: number, limit = 3): Promise<Record<string, number>> {
  return jsonFromChild<Record<string, number>>(SELF, ['latency', String(n), String(limit)], DAEMON_NODE_FLAGS, 'ban-latency');
}

if (process.argv[1] === SELF && process.argv[2] === 'latency') {
  printResultAndExit(banLatencyHere(Number(process.argv[3]), Number(process.argv[4])), 'ban latency');
}
