// A ban as the module database stores it, and the two ways out of it: an EntryOp for fw-writer and
// SetEntries for the master load. No SQL here.
import { EntryCollector } from '../../core/aggregate.js';
import type { EntryOp, Family, SetEntries } from '../../core/fw-plan.js';
import { parseIp } from '../../core/ip.js';
import type { ModuleName } from '../../core/logline/types.js';

/** pending: written, not yet confirmed by fw-writer; active: in the firewall; expired: its time ran out
 *  (or a newer ban of the same entry replaced it); removed: lifted by an operator. */
export type BanState = 'pending' | 'active' | 'expired' | 'removed';

export interface BanRow {
  id: number;
  /** canonical address or CIDR, as the firewall entry is written */
  entry: string;
  family: Family;
  since: number;
  /** null: permanent */
  until: number | null;
  state: BanState;
  reason: string;
  /** the rule of the affair that triggered it; null for subnet bans */
  rule: string | null;
}

/** The columns as SQLite returns them. */
export interface BanRecord {
  id: number;
  ip_or_cidr: string;
  family: number;
  since: number;
  until: number | null;
  state: string;
  reason: string;
  rule: string | null;
}

export function banFromRecord(r: BanRecord): BanRow {
  return {
    id: r.id,
    entry: r.ip_or_cidr,
    family: r.family === 6 ? 6 : 4,
    since: r.since,
    until: r.until,
    state: r.state as BanState,
    reason: r.reason,
    rule: r.rule,
  };
}

/** The fw-writer operation for a ban of `module`: add when it starts, del when it ends. */
export function banOp(module: ModuleName, ban: BanRow, op: EntryOp['op']): EntryOp {
  return { op, source: `mod:${module}`, entry: ban.entry, family: ban.family };
}

/** Aggregates ban entries into a set's contents; entries that do not parse are skipped and counted. */
export function collectEntries(entries: Iterable<string>): { entries: SetEntries; skipped: number } {
  const c = new EntryCollector();
  let skipped = 0;
  for (const text of entries) {
    const r = parseIp(text);
    if (r.ok) c.add(r.ip);
    else skipped++;
  }
  return { entries: c.finish(), skipped };
}
