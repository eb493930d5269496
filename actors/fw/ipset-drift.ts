// Compares what the kernel reports (ipset headers, iptables listings) with what a plan expects.
// Pure: the backend gathers the listings, this decides what counts as drift.
import type { ExpectedSet, Family } from '../../src/core/fw-plan.js';
import type { Drift } from './backend.js';
import { setName } from './ipset-script.js';
import { CHAIN, JUMP_RULE, ruleText, type FilterState } from './iptables-rules.js';

/** Set name to entry count, from `ipset list -t` ("Name: x" ... "Number of entries: n"). */
export function parseSetHeaders(listing: string): Map<string, number> {
  const sets = new Map<string, number>();
  let current: string | null = null;
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('Name: ')) {
      current = line.slice(6).trim();
      sets.set(current, 0);
    } else if (current !== null && line.startsWith('Number of entries: ')) {
      sets.set(current, Number(line.slice(19)));
    }
  }
  return sets;
}

export function findDrifts(expected: readonly ExpectedSet[], sets: Map<string, number>, filters: Record<Family, FilterState>): Drift[] {
  const drifts: Drift[] = [];
  for (const family of [4, 6] as const) {
    const f = filters[family];
    const ipt = family === 4 ? 'iptables' : 'ip6tables';
    if (!f.chainExists) {
      // Every rule is gone with the chain: one drift says it all.
      drifts.push({ what: `${ipt}: chain ${CHAIN} is missing` });
    } else {
      const wanted = expected.map((e) => ruleText({ set: setName(e.source, family), verdict: e.verdict }));
      for (const rule of wanted) if (!f.chain.includes(rule)) drifts.push({ what: `${ipt}: rule missing: ${rule}` });
      const seen = f.chain.filter((r) => wanted.includes(r));
      if (seen.length === wanted.length && seen.some((r, i) => r !== wanted[i])) {
        drifts.push({ what: `${ipt}: ${CHAIN} rules are out of order (whitelist must come first)` });
      }
    }
    if (f.input[0] !== JUMP_RULE) drifts.push({ what: `${ipt}: the jump to ${CHAIN} is not the first INPUT rule` });
  }
  for (const e of expected) {
    for (const family of [4, 6] as const) {
      const name = setName(e.source, family);
      const count = sets.get(name);
      const want = family === 4 ? e.count4 : e.count6;
      if (count === undefined) drifts.push({ what: `ipset ${name} (${e.source}) is missing` });
      else if (want > 0 && count === 0) drifts.push({ what: `ipset ${name} (${e.source}) is empty, expected ${want} entries` });
    }
  }
  return drifts;
}
