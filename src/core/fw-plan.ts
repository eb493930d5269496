// The firewall plan: which per-source sets exist, their verdict and their aggregated entries.
// Pure data shared by master-load (builds it), fw-writer (applies it) and the backends (render it).

/** A source of firewall entries: whitelist, blacklist, a dynloader (dl:<name>) or a module (mod:<M>). */
export type SourceName = 'whitelist' | 'blacklist' | `dl:${string}` | `mod:${string}`;

export type Verdict = 'accept' | 'drop';
export type Family = 4 | 6;

/** The short tag that backends put in set names: whitelist->wl, blacklist->bl, dl:x->dl-x, mod:LG->LG. */
export function sourceTag(source: SourceName): string {
  if (source === 'whitelist') return 'wl';
  if (source === 'blacklist') return 'bl';
  if (source.startsWith('dl:')) return `dl-${source.slice(3)}`;
  return source.slice(4);
}

/** Dynloader and module names: short enough for ipset's 31-character set names with suffixes. */
export const SOURCE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;

export function isSourceName(s: string): s is SourceName {
  if (s === 'whitelist' || s === 'blacklist') return true;
  const m = /^(dl|mod):(.*)$/.exec(s);
  return m !== null && SOURCE_NAME_PATTERN.test(m[2] ?? '');
}

/**
 * Aggregated, canonical entries of one source. Single IPv4 addresses are kept as a sorted unique
 * Uint32Array because they are the bulk of every load (1M strings cost ~60 MB; this costs 4 MB).
 */
export interface SetEntries {
  /** single IPv4 addresses, host order, sorted ascending, unique */
  v4: Uint32Array;
  /** IPv4 networks with prefix < 32, canonical "a.b.c.d/n", sorted, none contained in another */
  v4nets: string[];
  /** single IPv6 addresses, canonical lower-case compressed form */
  v6: string[];
  /** IPv6 networks with prefix < 128, canonical "x::/n" */
  v6nets: string[];
}

export interface PlannedSet {
  source: SourceName;
  verdict: Verdict;
  entries: SetEntries;
}

/** The whole firewall as Watcher wants it: accept sets first, then drop sets, in rule order. */
export interface FirewallPlan {
  sets: PlannedSet[];
}

export function emptyEntries(): SetEntries {
  return { v4: new Uint32Array(0), v4nets: [], v6: [], v6nets: [] };
}

export function entryCount(e: SetEntries): number {
  return e.v4.length + e.v4nets.length + e.v6.length + e.v6nets.length;
}

/** Dotted quad of a host-order IPv4 number. */
export function formatV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** One live change of one entry (single address or CIDR, canonical form) in one source's set. */
export interface EntryOp {
  op: 'add' | 'del';
  source: SourceName;
  entry: string;
  family: Family;
}

/** What a plan holds per set, for drift checks: the structure and how many entries each set had. */
export interface ExpectedSet {
  source: SourceName;
  verdict: Verdict;
  count4: number;
  count6: number;
}

export function expectedOf(plan: FirewallPlan): ExpectedSet[] {
  return plan.sets.map((s) => ({
    source: s.source,
    verdict: s.verdict,
    count4: s.entries.v4.length + s.entries.v4nets.length,
    count6: s.entries.v6.length + s.entries.v6nets.length,
  }));
}
