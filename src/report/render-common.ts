// Formatting shared by the text and HTML renderers: times, durations, sizes, and the report's sections
// as title + header + rows of plain strings (each renderer escapes in its own way). Pure.
import type { ReportModel } from './model.js';

export const when = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'));
export const hourLabel = (t: number): string => new Date(t).toISOString().slice(11, 16);
export const dayLabel = (t: number): string => new Date(t).toISOString().slice(5, 10);

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

export interface Section {
  title: string;
  /** a line above the table (a note), or null */
  note: string | null;
  header: string[];
  rows: string[][];
  /** columns that hold numbers (right-aligned) */
  numeric: number[];
}

const until = (u: number | null, now: number): string => (u === null ? '-' : u === Number.POSITIVE_INFINITY ? 'permanent' : `${when(u)} (${age(u - now)})`);

export function titleOf(m: ReportModel): string {
  const scope = m.scope.vhost !== null ? ` — vhost ${m.scope.vhost}` : m.scope.module !== null ? ` — module ${m.scope.module}` : '';
  return `Watcher report for ${m.host}${scope}`;
}

/** Every section of the report in order, charts excluded. */
export function sections(m: ReportModel): Section[] {
  const now = m.generatedAt;
  const out: Section[] = [];
  if (m.firewall) {
    const f = m.firewall;
    const rows: string[][] = [
      ['daemon', f.daemon],
      ['backend', f.backend ?? '-'],
      ['fw-writer', f.writerState ?? '-'],
      ['queued operations', f.queued === null ? '-' : String(f.queued)],
      ['last master load', f.masterLoad ? `${when(f.masterLoad.at)} (${f.masterLoad.state})` : '-'],
      ['last error', f.lastError ?? '-'],
    ];
    out.push({ title: 'Firewall', note: f.note, header: ['', ''], rows, numeric: [] });
    if (f.sets.length > 0) {
      const n = (x: number | null) => (x === null ? '-' : String(x));
      out.push({
        title: 'Entries per set',
        note: null,
        header: ['set', 'verdict', 'IPv4', 'IPv6', 'entries'],
        rows: f.sets.map((s) => [s.name, s.verdict ?? '-', n(s.v4), n(s.v6), String(s.entries)]),
        numeric: [2, 3, 4],
      });
    } else if (f.daemon === 'running') {
      out.push({ title: 'Entries per set', note: 'this daemon does not report entries per set', header: [], rows: [], numeric: [] });
    }
    if (f.children.length > 0) {
      out.push({ title: 'Actors', note: null, header: ['actor', 'state', 'restarts'], rows: f.children.map((c) => [c.id, c.state, String(c.restarts)]), numeric: [2] });
    }
  }
  if (m.dynloaders) {
    out.push({
      title: 'Dynloaders (load pool)',
      note: m.dynloaders.length === 0 ? 'no list in the load pool' : null,
      header: ['dynloader', 'entries', 'fetched', 'age', 'next run', 'last error', 'source'],
      rows: m.dynloaders.map((d) => [
        d.name,
        d.entries === null ? '-' : String(d.entries),
        when(d.fetchedAt),
        d.fetchedAt === null ? '-' : age(now - d.fetchedAt),
        when(d.nextRunAt),
        d.lastError ?? '-',
        d.source,
      ]),
      numeric: [1],
    });
  }
  if (m.scope.vhost === null) {
    out.push({
      title: 'Module databases',
      note: m.modules.length === 0 ? 'no module database found' : null,
      header: ['module', 'size', 'affairs', 'offenders', 'active bans', 'pending bans', 'oldest affair', 'history since'],
      rows: m.modules.map((s) => [s.module, bytes(s.bytes), String(s.affairs), String(s.offenders), String(s.activeBans), String(s.pendingBans), when(s.oldestAffair), when(s.historySince)]),
      numeric: [2, 3, 4, 5],
    });
  }
  out.push({
    title: 'Bans',
    note: m.scope.vhost !== null ? 'bans of the addresses that had affairs on this vhost' : null,
    header: ['period', 'bans', 'unbans', 'expiries'],
    rows: m.banCounts.map((b) => [b.label, String(b.bans), String(b.unbans), String(b.expiries)]),
    numeric: [1, 2, 3],
  });
  out.push({
    title: 'Top offenders (last 7 days)',
    note: m.topOffenders.length === 0 ? 'no affairs' : null,
    header: ['address', 'module', 'affairs', 'last seen', 'DNS class', 'bans', 'banned until'],
    rows: m.topOffenders.map((o) => [o.ip, o.module, String(o.affairs), when(o.lastSeen), o.dnsClass ?? '-', o.bans === null ? '-' : String(o.bans), until(o.bannedUntil, now)]),
    numeric: [2, 5],
  });
  out.push({
    title: 'Top rules (last 7 days)',
    note: m.topRules.length === 0 ? 'no affairs' : null,
    header: ['rule', 'module', 'affairs'],
    rows: m.topRules.map((r) => [r.label, r.module ?? '-', String(r.count)]),
    numeric: [2],
  });
  if (m.topUsers.length > 0) {
    out.push({ title: 'Top user names tried (last 7 days)', note: null, header: ['user', 'module', 'affairs'], rows: m.topUsers.map((r) => [r.label, r.module ?? '-', String(r.count)]), numeric: [2] });
  }
  if (m.topVhosts.length > 0) {
    out.push({ title: 'Top virtual hosts (last 7 days)', note: null, header: ['vhost', 'affairs'], rows: m.topVhosts.map((r) => [r.label, String(r.count)]), numeric: [1] });
  }
  if (m.problems.length > 0) out.push({ title: 'Problems', note: null, header: ['problem'], rows: m.problems.map((p) => [p]), numeric: [] });
  return out;
}
