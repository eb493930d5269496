// Micro-benchmark of a master load's pure part: parse list text into a collector and aggregate it.
// Generation is deterministic (seeded) and excluded from the timing; never asserts, only measures.
import { performance } from 'node:perf_hooks';
import { EntryCollector } from '../../src/core/aggregate.js';
import { entryCount } from '../../src/core/fw-plan.js';
import { parseListText } from '../../src/core/list-file.js';
import { mulberry32 as prng } from '../helpers/prng.js';

/**
 * n entries in list-file form: 95% IPv4 (of which 5% aligned CIDRs /16../30, the rest singles) and
 * 5% IPv6 (of which 5% networks), with a comment every 100 lines like real published lists.
 */
export function generateListText(n: number, seed = 42): string {
  const rnd = prng(seed);
  const lines: string[] = ['# generated benchmark list'];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.95) {
      const addr = Math.floor(rnd() * 2 ** 32);
      const v = `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
      if (rnd() < 0.05) {
        const prefix = 16 + Math.floor(rnd() * 15);
        const net = (addr & (0xffffffff << (32 - prefix))) >>> 0;
        lines.push(`${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`);
      } else lines.push(i % 100 === 0 ? `${v}  # reported ${i}` : v);
    } else {
      const parts: string[] = ['2001', 'db8'];
      for (let j = 0; j < 6; j++) parts.push(Math.floor(rnd() * 65536).toString(16));
      lines.push(rnd() < 0.05 ? `${parts.slice(0, 4).join(':')}::/64` : parts.join(':'));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Times parseListText + finish over n generated entries; returns the entry count fed in and seconds. */
export async function benchAggregate(n: number): Promise<{ entries: number; seconds: number }> {
  const text = generateListText(n);
  const t0 = performance.now();
  const collector = new EntryCollector(n);
  const problems = parseListText(text, 'bench', collector);
  const entries = collector.finish();
  const seconds = (performance.now() - t0) / 1000;
  if (problems.length > 0 || entryCount(entries) === 0) throw new Error('benchmark input did not parse cleanly');
  return { entries: n, seconds };
}
