// The report's questions to one module database (opened read-only): its state, top lists, and the
// bans that belong to one vhost's addresses. SQL only; the report model is assembled in gather.ts.
import { PACKED_AFFAIRS } from '../adapters/db/migrations.js';
import type { ModuleFile } from './module-file.js';
import type { ModuleState, OffenderRow } from './model.js';

const one = <T>(m: ModuleFile, sql: string, ...args: unknown[]): T => m.db.prepare(sql).pluck().get(...args) as T;
const all = <T>(m: ModuleFile, sql: string, ...args: unknown[]): T[] => m.db.prepare(sql).all(...args) as T[];

export function moduleState(m: ModuleFile, now: number): ModuleState {
  const current = `state IN ('pending', 'active') AND (until IS NULL OR until > ?)`;
  // packed affairs are counted and dated from their blocks' headers, without unpacking them
  const packed = m.version >= PACKED_AFFAIRS;
  return {
    module: m.module,
    file: m.file,
    bytes: m.bytes,
    schemaVersion: m.version,
    affairs: one<number>(m, packed ? 'SELECT coalesce(sum(affairs), 0) FROM affair_blocks' : 'SELECT count(*) FROM affairs'),
    offenders: one<number>(m, 'SELECT count(*) FROM offenders_now'),
    activeBans: one<number>(m, `SELECT count(*) FROM bans WHERE ${current} AND state = 'active'`, now),
    pendingBans: one<number>(m, `SELECT count(*) FROM bans WHERE ${current} AND state = 'pending'`, now),
    oldestAffair: one<number | null>(m, packed ? 'SELECT min(min_time) FROM affair_blocks' : 'SELECT min(time) FROM affairs'),
    newestAffair: one<number | null>(m, packed ? 'SELECT max(max_time) FROM affair_blocks' : 'SELECT max(time) FROM affairs'),
    historySince: m.hasRollups ? one<number | null>(m, 'SELECT min(hour) FROM affair_hours') : null,
  };
}

const vhostCond = (vhost: string | undefined): string => (vhost !== undefined ? 'AND vhost = ?' : '');
const vhostArg = (vhost: string | undefined): string[] => (vhost !== undefined ? [vhost] : []);

/** The addresses with the most affairs since `from` (only on `vhost` when given), with what is known of them. */
export function topOffenders(m: ModuleFile, from: number, now: number, limit: number, vhost?: string): OffenderRow[] {
  const rows = all<{ ip: string; n: number; last: number }>(
    m,
    `SELECT ip, count(*) AS n, max(time) AS last FROM affairs WHERE time >= ? ${vhostCond(vhost)} GROUP BY ip ORDER BY n DESC, ip LIMIT ?`,
    from,
    ...vhostArg(vhost),
    limit,
  );
  const info = m.db.prepare<[string], { dns_class: string; bans_count: number }>('SELECT dns_class, bans_count FROM offenders_now WHERE ip = ?');
  const ban = m.db.prepare<[string, number], { until: number | null }>(
    `SELECT until FROM bans WHERE ip_or_cidr = ? AND state IN ('pending', 'active') AND (until IS NULL OR until > ?) ORDER BY id DESC LIMIT 1`,
  );
  return rows.map((r) => {
    const o = info.get(r.ip);
    const b = ban.get(r.ip, now);
    return {
      ip: r.ip,
      module: m.module,
      affairs: r.n,
      lastSeen: r.last,
      dnsClass: o?.dns_class ?? null,
      bans: o?.bans_count ?? null,
      bannedUntil: b === undefined ? null : (b.until ?? Number.POSITIVE_INFINITY),
    };
  });
}

/** Affairs per rule since `from`: raw rows plus rollups (hours before the retention). */
export function ruleCounts(m: ModuleFile, from: number, vhost?: string): { label: string; count: number }[] {
  const raw = all<{ label: string; count: number }>(
    m,
    `SELECT rule AS label, count(*) AS count FROM affairs WHERE time >= ? ${vhostCond(vhost)} GROUP BY rule`,
    from,
    ...vhostArg(vhost),
  );
  const old = m.hasRollups
    ? all<{ label: string; count: number }>(
        m,
        `SELECT rule AS label, sum(affairs) AS count FROM affair_hours WHERE hour >= ? ${vhostCond(vhost)} GROUP BY rule`,
        from - (from % 3_600_000),
        ...vhostArg(vhost),
      )
    : [];
  const sums = new Map<string, number>();
  for (const r of [...raw, ...old]) sums.set(r.label, (sums.get(r.label) ?? 0) + r.count);
  return [...sums].map(([label, count]) => ({ label, count }));
}

/** Affairs per user name (logins tried) since `from`. */
export function userCounts(m: ModuleFile, from: number, limit: number, vhost?: string): { label: string; count: number }[] {
  return all(
    m,
    `SELECT user AS label, count(*) AS count FROM affairs WHERE time >= ? AND user IS NOT NULL ${vhostCond(vhost)} GROUP BY user ORDER BY count DESC, user LIMIT ?`,
    from,
    ...vhostArg(vhost),
    limit,
  );
}

/** Affairs per virtual host since `from` (WB). */
export function vhostCounts(m: ModuleFile, from: number, limit: number): { label: string; count: number }[] {
  return all(
    m,
    `SELECT vhost AS label, count(*) AS count FROM affairs WHERE time >= ? AND vhost IS NOT NULL GROUP BY vhost ORDER BY count DESC, vhost LIMIT ?`,
    from,
    limit,
  );
}

/**
 * A vhost report's bans: those of addresses that have affairs on `vhost` (raw rows only: the rollups
 * do not know addresses). Returns since, the time it ended, and its state.
 */
export function vhostBans(m: ModuleFile, vhost: string, from: number): { since: number; ended: number | null; state: string }[] {
  const ended = m.hasRollups ? 'coalesce(ended, until)' : 'until';
  return all(
    m,
    `SELECT since, CASE WHEN state IN ('expired', 'removed') THEN ${ended} END AS ended, state FROM bans
     WHERE ip_or_cidr IN (SELECT DISTINCT ip FROM affairs WHERE vhost = ?) AND (since >= ? OR ${ended} >= ?)`,
    vhost,
    from,
    from,
  );
}
