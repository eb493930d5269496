// A read-only view of one module's database for the control path (status, list, show): its own
// connection in read-only mode beside the module actor's (WAL: readers never block the writer).
// Never writes; only the module's actor does.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { IpValue } from '../../core/ip.js';
import { parseIp } from '../../core/ip.js';
import { isDnsClass, type DnsClass } from '../../core/policy/dns-class.js';
import { createAffairsView } from './affairs-view.js';
import { banFromRecord, type BanRecord, type BanRow } from './ban-row.js';
import { decodeStates, type LoggedState } from './offender-log.js';
import { decodeWindow } from './window-codec.js';

export interface AffairView {
  time: number;
  rule: string;
  event: string;
  weight: number;
  user: string | null;
  vhost: string | null;
}

export interface OffenderView {
  dnsClass: DnsClass;
  /** affairs in its current window, and their summed weight */
  inWindow: number;
  weightInWindow: number;
  /** bans so far (repeat-offender escalation) */
  bans: number;
  firstSeen: number;
  lastSeen: number;
}

const CURRENT = `state IN ('pending', 'active') AND (until IS NULL OR until > ?)`;

export class ModuleReader {
  // affairs in blocks (schema 6 on): counted from the blocks' headers, without unpacking them
  private readonly packed: boolean;

  private constructor(private readonly db: Database.Database) {
    this.packed = db.prepare(`SELECT 1 FROM main.sqlite_master WHERE name = 'affair_blocks'`).get() !== undefined;
  }

  /** Opens the file read-only; null when the module has no database yet. */
  static open(file: string): ModuleReader | null {
    if (!existsSync(file)) return null;
    const db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 2000');
    createAffairsView(db);
    return new ModuleReader(db);
  }

  close(): void {
    this.db.close();
  }

  /** Stored affairs, offender rows and bans in force at `now`. */
  summary(now: number): { affairs: number; offenders: number; bans: number } {
    const one = (sql: string, ...args: unknown[]) => Number(this.db.prepare(sql).pluck().get(...args) ?? 0);
    return {
      affairs: one(this.packed ? 'SELECT coalesce(sum(affairs), 0) FROM affair_blocks' : 'SELECT count(*) FROM affairs'),
      offenders: one('SELECT count(*) FROM offenders'),
      bans: one(`SELECT count(*) FROM bans WHERE ${CURRENT}`, now),
    };
  }

  /** Bans in force at `now`, oldest first, at most `limit`; and how many there are. */
  currentBans(now: number, limit: number): { rows: BanRow[]; total: number } {
    const rows = this.db.prepare<[number, number], BanRecord>(`SELECT * FROM bans WHERE ${CURRENT} ORDER BY since, id LIMIT ?`).all(now, limit);
    const total = Number(this.db.prepare(`SELECT count(*) FROM bans WHERE ${CURRENT}`).pluck().get(now) ?? 0);
    return { rows: rows.map(banFromRecord), total };
  }

  /** The newest `limit` affairs of one address (canonical text), newest first, and how many it has. */
  affairsOf(ip: string, limit = 200): { rows: AffairView[]; total: number } {
    const rows = this.db
      .prepare<[string, number], AffairView>('SELECT time, rule, event, weight, user, vhost FROM affairs WHERE ip = ? ORDER BY id DESC LIMIT ?')
      .all(ip, limit);
    const total = Number(this.db.prepare('SELECT count(*) FROM affairs WHERE ip = ?').pluck().get(ip) ?? 0);
    return { rows, total };
  }

  /**
   * The offender of one address: its row, overlaid by its newest state in the offender log (states are
   * written behind; the log is newer than the row). Up to a second behind the module's memory.
   */
  offenderOf(ip: string): OffenderView | undefined {
    const row = this.db
      .prepare<[string], { affairs_in_window: Buffer | null; dns_class: string; first_seen: number; last_seen: number; bans_count: number }>(
        'SELECT affairs_in_window, dns_class, first_seen, last_seen, bans_count FROM offenders WHERE ip = ?',
      )
      .get(ip);
    let logged: LoggedState | undefined;
    for (const blob of this.db.prepare('SELECT states FROM offender_log ORDER BY id').pluck().all() as Buffer[]) {
      decodeStates(blob, (s) => {
        if (s.ip === ip) logged = s;
      });
    }
    if (logged) return viewOf(logged.window, logged.dnsClass, logged.bans, logged.firstSeen, logged.lastSeen);
    if (!row) return undefined;
    return viewOf(decodeWindow(row.affairs_in_window), isDnsClass(row.dns_class) ? row.dns_class : 'unknown', row.bans_count, row.first_seen, row.last_seen);
  }

  /** Every ban row (any state) whose entry covers `v`: the address itself or a network containing it. */
  bansCovering(v: IpValue, limit = 100): BanRow[] {
    const rows = this.db.prepare<[], BanRecord>('SELECT * FROM bans ORDER BY id DESC').iterate();
    const out: BanRow[] = [];
    for (const r of rows) {
      const e = parseIp(r.ip_or_cidr);
      if (e.ok && contains(e.ip, v)) out.push(banFromRecord(r));
      if (out.length >= limit) break;
    }
    return out;
  }
}

function viewOf(window: readonly number[], dnsClass: DnsClass, bans: number, firstSeen: number, lastSeen: number): OffenderView {
  let weight = 0;
  for (let i = 1; i < window.length; i += 2) weight += window[i]!;
  return { dnsClass, inWindow: window.length / 2, weightInWindow: weight, bans, firstSeen, lastSeen };
}

/** Does network `outer` contain all of `inner`? */
export function contains(outer: IpValue, inner: IpValue): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  if (outer.family === 4 && inner.family === 4) {
    const mask = outer.prefix === 0 ? 0 : (0xffffffff << (32 - outer.prefix)) >>> 0;
    return ((inner.v4 & mask) >>> 0) === outer.v4;
  }
  if (outer.family === 6 && inner.family === 6) {
    const shift = BigInt(128 - outer.prefix);
    return inner.v6 >> shift === outer.v6 >> shift;
  }
  return false;
}
