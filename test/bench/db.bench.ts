// Benchmark of a module database's hot path: detections recorded in batches of 1000 (affairs and pending
// bans, one transaction per batch; offender changes written behind) into a fresh file. Generation is
// excluded from the timing; the compaction at close is timed apart.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { Detection } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';

/** xorshift32: the same input on every run, so figures compare. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/**
 * n detections from about n/20 addresses (the mix of the pipeline benchmark: ~50,000 addresses
 * per 1,000,000 lines; 5% IPv6), 10 ms apart: most addresses reach the limit within the window and ban.
 */
export function benchDetections(n: number, addresses = Math.max(1, Math.floor(n / 20)), seed = 7): Detection[] {
  const r = rng(seed);
  const out: Detection[] = new Array<Detection>(n);
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    const k = r() % addresses;
    const v6 = k % 20 === 0;
    const ip = v6 ? `2001:db8:${(k >>> 16).toString(16)}:${(k & 0xffff).toString(16)}::1` : `10.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
    out[i] = { ip, family: v6 ? 6 : 4, rule: 'sshd-failed-password', event: 'auth-failure', weight: 1, user: 'root', time: t0 + i * 10 };
  }
  return out;
}

export interface DbBenchResult {
  detections: number;
  addresses: number;
  batchSize: number;
  /** wall time of the recordBatch calls */
  seconds: number;
  /** CPU time of this process meanwhile (user + system): what wall time is when the machine is not shared */
  cpuSeconds: number;
  perSecond: number;
  bans: number;
  /** wall time of close(): the compaction of the offender log into rows */
  closeSeconds: number;
}

export interface DbBenchOptions {
  batchSize?: number;
  /** distinct source addresses (default n/20); fewer, like a real attack, means fewer offenders to write */
  addresses?: number;
  /** call flush() every this many batches, as the module's timer does (default: never; the database
   *  still writes behind once a second of wall time) */
  flushEvery?: number;
}

/** Records n generated detections in batches (default 1000) into a temporary database; returns the timing. */
export function benchRecord(n: number, opts: DbBenchOptions = {}): DbBenchResult {
  const batchSize = opts.batchSize ?? 1000;
  const addresses = opts.addresses ?? Math.max(1, Math.floor(n / 20));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'watcher-dbbench-'));
  const db = ModuleDb.open(path.join(dir, 'LG.sqlite'), 'LG');
  try {
    const detections = benchDetections(n, addresses);
    const policy = resolveBanPolicy({ limit: 5, windowMs: 3_600_000 });
    const whitelist = AddressMatcher.fromEntries(aggregate([]));
    let bans = 0;
    let batches = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i += batchSize) {
      const batch = detections.slice(i, i + batchSize);
      bans += db.recordBatch(batch, { policy, whitelist, now: batch[batch.length - 1]!.time! }).bans.length;
      if (opts.flushEvery && ++batches % opts.flushEvery === 0) db.flush();
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    const t1 = performance.now();
    db.close();
    const closeSeconds = (performance.now() - t1) / 1000;
    return { detections: n, addresses, batchSize, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, perSecond: Math.round(n / seconds), bans, closeSeconds };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
