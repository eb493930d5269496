// Fills module databases of a temp state directory with a history of real detections through ModuleDb
// (the module's own write path): affairs over many days, bans, expiries, unbans and DNS classes, with a
// simulated clock. Used by the report and statistics tests.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ModuleDb, type BatchContext } from '../../src/adapters/db/module-db.js';
import { AddressMatcher, aggregate } from '../../src/core/aggregate.js';
import type { Detection, ModuleName } from '../../src/core/logline/types.js';
import { resolveBanPolicy } from '../../src/core/policy/ban-policy.js';
import type { DnsClass } from '../../src/core/policy/dns-class.js';
import { mulberry32 } from './prng.js';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface FillSpec {
  module: ModuleName;
  /** first and last detection times (ms) */
  from: number;
  to: number;
  /** one batch every this many ms */
  stepMs: number;
  seed: number;
  /** address pool: `${prefix}${1..size}` */
  prefix: string;
  size: number;
  events: { rule: string; event: string }[];
  users?: string[];
  vhosts?: string[];
  /** every n-th batch also lifts the ban of one address (an operator's unban) */
  unbanEvery?: number;
}

export interface FillResult {
  file: string;
  batches: number;
  affairs: number;
  /** which vhost(s) each address and user name was seen on (WB) */
  vhostOfIp: Map<string, Set<string>>;
  vhostOfUser: Map<string, Set<string>>;
}

const noWhitelist = AddressMatcher.fromEntries(aggregate([]));

/** DNS classes by address, fixed: some addresses have none (unknown). */
function classOf(ip: string): DnsClass | undefined {
  const last = Number(ip.split(/[.:]/).pop());
  return (['NXDOMAIN', 'FAKEHOST', 'TRUEHOST', undefined] as const)[last % 4];
}

/**
 * Records detections from `from` to `to` with the module clock following them; every 6 hours runs expiry
 * with a retention long enough to keep every row (bans end and get their ended time, nothing is deleted).
 * Leaves the database closed (offenders compacted into their table).
 */
export function fillHistory(stateDir: string, s: FillSpec): FillResult {
  const file = path.join(stateDir, 'db', `${s.module}.sqlite`);
  mkdirSync(path.dirname(file), { recursive: true });
  let now = s.from;
  const db = ModuleDb.open(file, s.module, { clock: () => now });
  const rnd = mulberry32(s.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const policy = resolveBanPolicy({ limit: 4, windowMs: 2 * HOUR, banMs: 3 * HOUR, factor: 2, maxBanMs: 2 * DAY });
  const result: FillResult = { file, batches: 0, affairs: 0, vhostOfIp: new Map(), vhostOfUser: new Map() };
  const note = (m: Map<string, Set<string>>, k: string, v: string) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(v);
  let lastExpire = s.from;
  try {
    for (let t = s.from; t <= s.to; t += s.stepMs) {
      now = t;
      const n = 1 + Math.floor(rnd() * 4);
      const dets: Detection[] = [];
      for (let i = 0; i < n; i++) {
        const ip = `${s.prefix}${1 + Math.floor(rnd() * s.size)}`;
        const ev = pick(s.events);
        const d: Detection = { ip, family: ip.includes(':') ? 6 : 4, rule: ev.rule, event: ev.event, weight: 1, time: t - Math.floor(rnd() * 1000) };
        if (s.users) d.user = pick(s.users);
        if (s.vhosts) {
          d.vhost = pick(s.vhosts);
          note(result.vhostOfIp, ip, d.vhost);
          if (d.user !== undefined) note(result.vhostOfUser, d.user, d.vhost);
        }
        dets.push(d);
      }
      const ctx: BatchContext = { policy, whitelist: noWhitelist, now: t, classOf };
      const r = db.recordBatch(dets, ctx);
      result.affairs += r.recorded;
      result.batches++;
      // fw-writer confirms most bans; a few stay pending
      db.markBanActive(r.bans.filter((b) => b.id % 5 !== 0).map((b) => b.id));
      if (s.unbanEvery && result.batches % s.unbanEvery === 0 && r.bans.length > 0) db.unban(r.bans[0]!.entry);
      if (t - lastExpire >= 6 * HOUR) {
        db.expire(t, { affairsMs: 1000 * DAY, offendersMs: 1000 * DAY });
        lastExpire = t;
      }
    }
    now = s.to;
    db.expire(s.to, { affairsMs: 1000 * DAY, offendersMs: 1000 * DAY });
  } finally {
    db.close();
  }
  return result;
}

/** Runs expiry with real retentions at `now` (deleting and rolling up); returns what it deleted. */
export function expireWith(file: string, module: ModuleName, now: number, affairsMs: number, offendersMs: number) {
  const db = ModuleDb.open(file, module, { clock: () => now });
  try {
    return db.expire(now, { affairsMs, offendersMs });
  } finally {
    db.close();
  }
}
