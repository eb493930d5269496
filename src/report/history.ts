// Time-bucketed counts from one module database: raw rows (recent) plus hourly rollups (older than the
// retention; see src/adapters/db/rollup.ts). A row is in exactly one of them, so sums never double count.
// Read-only queries; no pure logic beyond summing.
import type { ModuleFile } from './module-file.js';

/** One count: bucket start (ms), a column name, a number. */
export interface Count {
  t: number;
  key: string;
  n: number;
}

export interface Range {
  from: number;
  to: number;
  /** WB: only affairs of this vhost (bans, offenders and DNS classes belong to addresses, not vhosts) */
  vhost?: string;
}

/** Raw rows are grouped by 15 minutes: every time zone's hour (+05:45 included) is a whole number of them. */
export const RAW_BUCKET_MS = 900_000;

const bucket = (col: string): string => `(${col} - ${col} % ${RAW_BUCKET_MS})`;

function all<T>(m: ModuleFile, sql: string, ...args: unknown[]): T[] {
  return m.db.prepare(sql).all(...args) as T[];
}

/** Affairs by event kind ("affairs:<event>") and in total ("affairs"). */
export function affairCounts(m: ModuleFile, r: Range): Count[] {
  const v = r.vhost !== undefined;
  const raw = all<{ t: number; event: string; n: number }>(
    m,
    `SELECT ${bucket('time')} AS t, event, count(*) AS n FROM affairs WHERE time >= ? AND time < ? ${v ? 'AND vhost = ?' : ''} GROUP BY t, event`,
    r.from,
    r.to,
    ...(v ? [r.vhost] : []),
  );
  const old = m.hasRollups
    ? all<{ t: number; event: string; n: number }>(
        m,
        `SELECT hour AS t, event, sum(affairs) AS n FROM affair_hours WHERE hour >= ? AND hour < ? ${v ? 'AND vhost = ?' : ''} GROUP BY hour, event`,
        r.from,
        r.to,
        ...(v ? [r.vhost ?? ''] : []),
      )
    : [];
  return [...raw, ...old].flatMap((c) => [
    { t: c.t, key: 'affairs', n: c.n },
    { t: c.t, key: `affairs:${c.event}`, n: c.n },
  ]);
}

/** New offenders ("new_offenders") and their DNS classes ("dns:<class>"), by first seen. */
export function offenderCounts(m: ModuleFile, r: Range): Count[] {
  const raw = all<{ t: number; cls: string; n: number }>(
    m,
    `SELECT ${bucket('first_seen')} AS t, dns_class AS cls, count(*) AS n FROM offenders_now WHERE first_seen >= ? AND first_seen < ? GROUP BY t, cls`,
    r.from,
    r.to,
  );
  const old = m.hasRollups
    ? all<{ t: number; cls: string; n: number }>(
        m,
        `SELECT hour AS t, dns_class AS cls, sum(offenders) AS n FROM offender_hours WHERE hour >= ? AND hour < ? GROUP BY hour, cls`,
        r.from,
        r.to,
      )
    : [];
  return [...raw, ...old].flatMap((c) => [
    { t: c.t, key: 'new_offenders', n: c.n },
    { t: c.t, key: `dns:${c.cls}`, n: c.n },
  ]);
}

/** Bans ("bans", by since), unbans and expiries ("unbans", "expiries", by the time they ended). */
export function banCounts(m: ModuleFile, r: Range): Count[] {
  // files older than migration 4 have no ended column: their best guess is until
  const ended = m.hasRollups ? 'coalesce(ended, until, since)' : 'coalesce(until, since)';
  const raw = [
    ...all<Count>(m, `SELECT ${bucket('since')} AS t, 'bans' AS key, count(*) AS n FROM bans WHERE since >= ? AND since < ? GROUP BY t`, r.from, r.to),
    ...all<Count>(
      m,
      `SELECT ${bucket(ended)} AS t, CASE state WHEN 'removed' THEN 'unbans' ELSE 'expiries' END AS key, count(*) AS n
       FROM bans WHERE state IN ('expired', 'removed') AND ${ended} >= ? AND ${ended} < ? GROUP BY t, key`,
      r.from,
      r.to,
    ),
  ];
  const old = m.hasRollups
    ? all<Count>(
        m,
        `SELECT hour AS t, CASE kind WHEN 'ban' THEN 'bans' WHEN 'unban' THEN 'unbans' ELSE 'expiries' END AS key, sum(bans) AS n
         FROM ban_hours WHERE hour >= ? AND hour < ? GROUP BY hour, kind`,
        r.from,
        r.to,
      )
    : [];
  return [...raw, ...old];
}

/** Every statistic of the range; with a vhost only its affairs (nothing else can be told apart by vhost). */
export function allCounts(m: ModuleFile, r: Range): Count[] {
  if (r.vhost !== undefined) return affairCounts(m, r);
  return [...affairCounts(m, r), ...offenderCounts(m, r), ...banCounts(m, r)];
}
