// Waits for the machine to be quiet before a latency measurement: on a shared 2-core VM the kernel
// may still be tearing down a previous benchmark's namespace and its million-entry sets, and a few
// ms of that inside 1,000 sub-millisecond bans is the whole p99. Reads /proc/stat; never kills anything.
import { readFileSync } from 'node:fs';

function cpuTimes(): { idle: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait count as idle
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { idle, total: f.slice(0, 8).reduce((a, b) => a + b, 0) };
}

export interface Quiet {
  /** how long it waited */
  waitedMs: number;
  /** the idle share of all CPUs over the last sample window (0..1) */
  idle: number;
}

/** Resolves once all CPUs were at least `idleShare` idle over one `windowMs`, or after `maxMs`. */
export async function waitForQuiet(idleShare = 0.9, windowMs = 500, maxMs = 15_000): Promise<Quiet> {
  const t0 = Date.now();
  for (;;) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, windowMs));
    const b = cpuTimes();
    const idle = b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 1;
    const waitedMs = Date.now() - t0;
    if (idle >= idleShare || waitedMs >= maxMs) return { waitedMs, idle: Math.round(idle * 1000) / 1000 };
  }
}
