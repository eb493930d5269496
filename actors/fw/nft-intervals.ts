// Live changes of one interval set planned against its current contents, so the script never overlaps:
// nft 1.0.6 aborts the batch at the first overlap, and the kernel ignores a wider net with the same start.
import { formatIp, parseIpValue, v4Network, v6Network, type IpValue } from '../../src/core/ip.js';

export interface IntervalChange {
  op: 'add' | 'del';
  entry: string;
}

/** What to send (deletions first) and what to tell the operator about entries that needed judgement. */
export interface IntervalPlan {
  changes: IntervalChange[];
  notes: string[];
}

type Json = Record<string, unknown>;

/** CIDRs of `nft -j list set` output; ranges (never written by Watcher) are left out and left alone. */
export function intervalElements(json: string): string[] {
  const out: string[] = [];
  const items = json.trim() === '' ? [] : ((JSON.parse(json) as Json).nftables as unknown[] | undefined) ?? [];
  for (const item of items) {
    const elem = ((item as Json).set as Json | undefined)?.elem;
    if (!Array.isArray(elem)) continue;
    for (const e of elem) {
      const prefix = typeof e === 'object' && e !== null ? ((e as Json).prefix as Json | undefined) : undefined;
      if (typeof e === 'string') out.push(e);
      else if (prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number') out.push(`${prefix.addr}/${prefix.len}`);
    }
  }
  return out;
}

function parsed(entry: string): IpValue {
  const r = parseIpValue(entry);
  if (!r.ok) throw new Error(`unexpected interval element ${entry}: ${r.error}`);
  return r.ip;
}

/** a covers b: same family, a is no longer than b, and b's network at a's length is a. */
export function covers(a: IpValue, b: IpValue): boolean {
  if (a.prefix > b.prefix) return false;
  if (a.family === 4 && b.family === 4) return v4Network(b.v4, a.prefix) === a.v4;
  if (a.family === 6 && b.family === 6) return v6Network(b.v6, a.prefix) === a.v6;
  return false;
}

/**
 * Applies the ops in order to a model of the set: an add inside a present net is already blocked; an add
 * around present nets replaces them (CIDRs never partly overlap); a delete of an absent entry does nothing
 * (inside a wider net it is noted: a part of a net cannot be unbanned). Returns the difference to send.
 */
export function planInterval(current: readonly string[], ops: readonly IntervalChange[]): IntervalPlan {
  const have = new Map<string, IpValue>();
  for (const c of current) {
    const v = parsed(c);
    have.set(formatIp(v), v);
  }
  const before = new Set(have.keys());
  const notes: string[] = [];
  const coverOf = (v: IpValue): string | undefined => [...have].find(([, h]) => covers(h, v))?.[0];
  for (const op of ops) {
    const v = parsed(op.entry);
    const key = formatIp(v);
    const cover = coverOf(v);
    if (op.op === 'add') {
      if (cover !== undefined) {
        if (cover !== key) notes.push(`${key} is inside ${cover}: already blocked`);
        continue;
      }
      for (const [k, h] of have) {
        if (covers(v, h)) {
          have.delete(k);
          notes.push(`${k} is replaced by the wider ${key}`);
        }
      }
      have.set(key, v);
    } else if (cover === key) have.delete(key);
    else if (cover !== undefined) notes.push(`${key} stays blocked: it is inside ${cover}`);
  }
  const changes: IntervalChange[] = [];
  for (const k of before) if (!have.has(k)) changes.push({ op: 'del', entry: k });
  for (const k of have.keys()) if (!before.has(k)) changes.push({ op: 'add', entry: k });
  return { changes, notes };
}
