// Generates benchmark entries like a real load: mostly single IPv4 addresses, 5% IPv4 CIDRs and
// 5% IPv6, deterministic (seeded) so runs compare. Writes list files and bare ipset restore input.

/** xorshift32: deterministic and fast; benchmarks must compare across runs. */
export function rng(seed: number): () => number {
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

function v4(r: () => number): string {
  // public-looking unicast: first octet 1..223 without 10, 127
  let a = (r() % 223) + 1;
  if (a === 10 || a === 127) a = 11;
  const n = r();
  return `${a}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The entries as list lines (one per line). */
export function benchEntries(n: number, seed = 42): string[] {
  const r = rng(seed);
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const k = r() % 100;
    if (k < 5) {
      const p = 16 + (r() % 13); // /16 .. /28
      const parts = v4(r).split('.').map(Number);
      const addr = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
      const net = p === 0 ? 0 : (addr & (~0 << (32 - p))) >>> 0;
      out[i] = `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${p}`;
    } else if (k < 10) {
      const x = r();
      out[i] = `2001:db8:${(x >>> 16).toString(16)}:${(x & 0xffff).toString(16)}::${(r() & 0xffff).toString(16)}`;
    } else out[i] = v4(r);
  }
  return out;
}

/** The same entries as one bare `ipset restore` input: one hash:net set per family. */
export function bareRestore(entries: string[], prefix = 'ref'): string[] {
  const max = Math.max(65536, entries.length * 2);
  const chunks: string[] = [
    `create ${prefix}4 hash:net family inet maxelem ${max}\ncreate ${prefix}6 hash:net family inet6 maxelem ${max}\n`,
  ];
  let buf: string[] = [];
  for (const e of entries) {
    buf.push(`add ${prefix}${e.includes(':') ? 6 : 4} ${e}`);
    if (buf.length === 5000) {
      chunks.push(buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) chunks.push(buf.join('\n') + '\n');
  return chunks;
}
