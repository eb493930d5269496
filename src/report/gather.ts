// Builds the report model from the files of one state directory (module databases opened read-only,
// load pool headers) and the daemon's status answer when there is one. Reads only; never fails on one
// unreadable file (the problem is listed in the report).
import { readdirSync, openSync, readSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moduleDbPath } from '../../actors/module/runtime.js';
import type { WatcherConfig } from '../config/schema.js';
import { MODULES, type ModuleName } from '../core/logline/types.js';
import { parsePoolHeader } from '../core/pool-header.js';
import { firewallState, withDynloadStatus } from './firewall-state.js';
import { affairCounts, banCounts } from './history.js';
import type { BanSummary, CountRow, DynloaderRow, ModuleState, OffenderRow, ReportModel, Series } from './model.js';
import { openModuleFileReadOnly, type ModuleFile } from './module-file.js';
import { moduleState, ruleCounts, topOffenders, userCounts, vhostBans, vhostCounts } from './report-queries.js';

const H = 3_600_000;
const D = 86_400_000;
const TOP = 10;

export interface GatherOptions {
  config: WatcherConfig;
  now: number;
  module?: ModuleName;
  vhost?: string;
  /** the daemon's status answer; null when it is not running or did not answer (daemon says which) */
  status: unknown;
  daemon?: 'not running' | 'no answer';
  host?: string;
}

/** The load pool headers: one row per <state>/loadpool/*.list. */
export function readLoadPool(dir: string): DynloaderRow[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.list')).sort();
  } catch {
    return [];
  }
  return names.map((n) => {
    const buf = Buffer.alloc(4096);
    let text = '';
    try {
      const fd = openSync(path.join(dir, n), 'r');
      try {
        text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
      } finally {
        closeSync(fd);
      }
    } catch {
      // unreadable: shown without a header
    }
    const h = parsePoolHeader(text);
    const at = h ? Date.parse(h.fetchedAt) : NaN;
    return {
      name: n.slice(0, -'.list'.length),
      source: h?.source ?? '(no header)',
      fetchedAt: Number.isFinite(at) ? at : null,
      entries: h?.entries ?? null,
      nextRunAt: null,
      lastError: null,
    };
  });
}

function hourStarts(now: number, hours: number): number[] {
  const last = now - (now % H);
  return Array.from({ length: hours }, (_, i) => last - (hours - 1 - i) * H);
}

function sumInto(starts: number[], width: number, counts: { t: number; key: string; n: number }[], key: string): number[] {
  const out = starts.map(() => 0);
  for (const c of counts) {
    if (c.key !== key) continue;
    const i = Math.floor((c.t - starts[0]!) / width);
    if (i >= 0 && i < out.length) out[i]! += c.n;
  }
  return out;
}

function topOf(rows: CountRow[], n: number): CountRow[] {
  return [...rows].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label)).slice(0, n);
}

export function gatherReport(o: GatherOptions): ReportModel {
  const { config, now } = o;
  const vhost = o.vhost;
  const modules: readonly ModuleName[] = vhost !== undefined ? ['WB'] : o.module ? [o.module] : MODULES;
  const weekAgo = now - 7 * D;
  const problems: string[] = [];
  const states: ModuleState[] = [];
  const offenders: OffenderRow[] = [];
  const rules: CountRow[] = [];
  const users: CountRow[] = [];
  const vhosts: CountRow[] = [];
  const hourStartsList = hourStarts(now, 48);
  const today = now - (now % D);
  const dayStarts = Array.from({ length: 14 }, (_, i) => today - (13 - i) * D);
  const attacks: Series[] = [];
  const bansDaily: Series[] = [];
  const summaries: BanSummary[] = [
    { label: 'last day', from: now - D, bans: 0, unbans: 0, expiries: 0 },
    { label: 'last week', from: weekAgo, bans: 0, unbans: 0, expiries: 0 },
  ];
  for (const module of modules) {
    let m: ModuleFile | null;
    try {
      m = openModuleFileReadOnly(moduleDbPath(config, module), module);
    } catch (e) {
      problems.push(`${module}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    if (m === null) continue;
    try {
      if (vhost === undefined) states.push(moduleState(m, now));
      offenders.push(...topOffenders(m, weekAgo, now, TOP, vhost));
      rules.push(...ruleCounts(m, weekAgo, vhost).map((r) => ({ ...r, module })));
      users.push(...userCounts(m, weekAgo, TOP, vhost).map((r) => ({ ...r, module })));
      if (module === 'WB' && vhost === undefined) vhosts.push(...vhostCounts(m, weekAgo, TOP).map((r) => ({ ...r, module })));
      const range = { from: hourStartsList[0]!, to: now + 1, ...(vhost !== undefined ? { vhost } : {}) };
      attacks.push({ name: module, values: sumInto(hourStartsList, H, affairCounts(m, range), 'affairs') });
      if (vhost === undefined) {
        const bc = banCounts(m, { from: dayStarts[0]!, to: now + 1 });
        bansDaily.push({ name: module, values: sumInto(dayStarts, D, bc, 'bans') });
        for (const s of summaries) {
          const c = banCounts(m, { from: s.from, to: now + 1 });
          for (const x of c) s[x.key as 'bans' | 'unbans' | 'expiries'] += x.n;
        }
      } else {
        const vb = vhostBans(m, vhost, dayStarts[0]!);
        bansDaily.push({ name: module, values: sumInto(dayStarts, D, vb.map((b) => ({ t: b.since, key: 'bans', n: 1 })), 'bans') });
        for (const s of summaries) {
          for (const b of vb) {
            if (b.since >= s.from && b.since <= now) s.bans++;
            if (b.ended !== null && b.ended >= s.from && b.ended <= now) s[b.state === 'removed' ? 'unbans' : 'expiries']++;
          }
        }
      }
    } catch (e) {
      problems.push(`${module}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      m.close();
    }
  }
  const top = [...offenders].sort((a, b) => b.affairs - a.affairs || a.ip.localeCompare(b.ip)).slice(0, TOP);
  return {
    generatedAt: now,
    host: o.host ?? os.hostname(),
    scope: { module: vhost !== undefined ? 'WB' : (o.module ?? null), vhost: vhost ?? null },
    window: { from: weekAgo, to: now },
    firewall: vhost === undefined ? firewallState(o.status, now, o.daemon) : null,
    dynloaders: vhost === undefined ? withDynloadStatus(readLoadPool(path.join(config.state_dir, 'loadpool')), o.status) : null,
    modules: states,
    topOffenders: top,
    topRules: topOf(rules, TOP),
    topUsers: topOf(users, TOP),
    topVhosts: topOf(vhosts, TOP),
    banCounts: summaries,
    charts: {
      attacksPerHour: { starts: hourStartsList, series: attacks },
      bansPerDay: { starts: dayStarts, series: bansDaily },
      topSources: top.map((r) => ({ label: r.ip, module: r.module, count: r.affairs })),
    },
    problems,
  };
}
