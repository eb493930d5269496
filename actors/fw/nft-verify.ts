// Reads `nft -j -t list ruleset` (terse: structure without elements, ~10 ms even next to a 1M set) and
// lists how Watcher's table differs from the expected structure. Pure; emptiness is checked elsewhere.
import { emptyEntries, type ExpectedSet } from '../../src/core/fw-plan.js';
import type { Drift } from './backend.js';
import { NFT_CHAIN, NFT_FAMILY, NFT_SET_KINDS, NFT_TABLE, NFT_TABLE_REF, nftSetName } from './nft-names.js';
import { planRules, ruleText, setSpec } from './nft-script.js';

export interface NftChainInfo {
  type?: string;
  hook?: string;
  prio?: number;
  policy?: string;
}

/** What the kernel holds of Watcher's table, structure only. */
export interface NftStructure {
  table: boolean;
  chain: NftChainInfo | null;
  /** set name -> its spec as rendered by setSpec ("type ipv4_addr; flags interval;") */
  sets: Map<string, string>;
  /** rules of the input chain as ruleText, or "<other: json>" when not one of ours */
  rules: string[];
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function ours(o: Json | undefined): o is Json {
  return o !== undefined && o.family === NFT_FAMILY && (o.table === NFT_TABLE || o.name === NFT_TABLE);
}

/** Recognises `ip|ip6 saddr @set return|drop`; anything else is reported verbatim. */
function ruleOf(expr: unknown): string {
  const parts = Array.isArray(expr) ? expr.map(obj) : [];
  const match = obj(parts[0]?.match);
  const payload = obj(obj(match?.left)?.payload);
  const right = match?.right;
  const verdict = parts[1] && ('drop' in parts[1] ? 'drop' : 'return' in parts[1] ? 'return' : undefined);
  if (
    parts.length === 2 && match?.op === '==' && payload?.field === 'saddr' &&
    (payload.protocol === 'ip' || payload.protocol === 'ip6') &&
    typeof right === 'string' && right.startsWith('@') && verdict
  ) {
    return ruleText({ proto: payload.protocol, set: right.slice(1), verdict });
  }
  return `<other: ${JSON.stringify(expr)}>`;
}

export function parseRuleset(json: string): NftStructure {
  const s: NftStructure = { table: false, chain: null, sets: new Map(), rules: [] };
  const items = json.trim() === '' ? undefined : obj(JSON.parse(json))?.nftables;
  if (!Array.isArray(items)) return s;
  for (const item of items.map(obj)) {
    const table = obj(item?.table);
    const set = obj(item?.set);
    const chain = obj(item?.chain);
    const rule = obj(item?.rule);
    if (table && table.family === NFT_FAMILY && table.name === NFT_TABLE) s.table = true;
    else if (ours(set) && set.table === NFT_TABLE) {
      const flags = Array.isArray(set.flags) ? set.flags : [];
      s.sets.set(String(set.name), flags.includes('interval') ? `type ${String(set.type)}; flags interval;` : `type ${String(set.type)};`);
    } else if (ours(chain) && chain.table === NFT_TABLE && chain.name === NFT_CHAIN) {
      s.chain = {
        ...(typeof chain.type === 'string' ? { type: chain.type } : {}),
        ...(typeof chain.hook === 'string' ? { hook: chain.hook } : {}),
        ...(typeof chain.prio === 'number' ? { prio: chain.prio } : {}),
        ...(typeof chain.policy === 'string' ? { policy: chain.policy } : {}),
      };
    } else if (ours(rule) && rule.table === NFT_TABLE && rule.chain === NFT_CHAIN) s.rules.push(ruleOf(rule.expr));
  }
  return s;
}

/** Table, chain, sets and rules that are missing or wrong. */
export function structureDrifts(s: NftStructure, expected: readonly ExpectedSet[], hookPriority: number): Drift[] {
  if (!s.table) return [{ what: `table ${NFT_TABLE_REF} is missing` }];
  const drifts: Drift[] = [];
  const c = s.chain;
  if (c === null) drifts.push({ what: `chain ${NFT_CHAIN} is missing` });
  else if (c.type !== 'filter' || c.hook !== 'input' || c.prio !== hookPriority || c.policy !== 'accept') {
    drifts.push({
      what: `chain ${NFT_CHAIN} is "${c.type} hook ${c.hook} priority ${c.prio} policy ${c.policy}", expected "filter hook input priority ${hookPriority} policy accept"`,
    });
  }
  for (const e of expected) {
    for (const kind of NFT_SET_KINDS) {
      const name = nftSetName(e.source, kind);
      const spec = s.sets.get(name);
      if (spec === undefined) drifts.push({ what: `set ${name} is missing` });
      else if (spec !== setSpec(kind)) drifts.push({ what: `set ${name} is "${spec}", expected "${setSpec(kind)}"` });
    }
  }
  const want = planRules({ sets: expected.map((e) => ({ source: e.source, verdict: e.verdict, entries: emptyEntries() })) }).map(ruleText);
  if (c !== null) drifts.push(...ruleDrifts(s.rules, want));
  return drifts;
}

function ruleDrifts(have: readonly string[], want: readonly string[]): Drift[] {
  const drifts: Drift[] = [];
  const haveSet = new Set(have);
  const wantSet = new Set(want);
  for (const r of want) if (!haveSet.has(r)) drifts.push({ what: `rule "${r}" is missing from chain ${NFT_CHAIN}` });
  for (const r of have) if (!wantSet.has(r)) drifts.push({ what: `unexpected rule "${r}" in chain ${NFT_CHAIN}` });
  // Order matters (whitelist returns before any drop), so equal contents in another order is drift too.
  if (drifts.length === 0 && have.join('\n') !== want.join('\n')) drifts.push({ what: `rules of chain ${NFT_CHAIN} are out of order` });
  return drifts;
}

/** Number of elements in `nft -j list set` output. */
export function elementCount(json: string): number {
  const items = json.trim() === '' ? undefined : obj(JSON.parse(json))?.nftables;
  if (!Array.isArray(items)) return 0;
  let n = 0;
  for (const item of items.map(obj)) {
    const elem = obj(item?.set)?.elem;
    if (Array.isArray(elem)) n += elem.length;
  }
  return n;
}

/** Line numbers that nft blamed in its stderr ("/dev/stdin:3:27-33: Error: ..."). */
export function blamedLines(stderr: string): number[] {
  const lines = new Set<number>();
  for (const m of stderr.matchAll(/^(?:\/dev\/stdin|-):(\d+):/gm)) lines.add(Number(m[1]));
  return [...lines].sort((a, b) => a - b);
}
