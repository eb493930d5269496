// The module's offenders: rows in the offenders table, cached in memory once touched because only the
// module's actor writes this database. Writes are collected per batch and flushed inside its transaction.
import type Database from 'better-sqlite3';
import type { IpValue } from '../../core/ip.js';
import { isDnsClass } from '../../core/policy/dns-class.js';
import type { OffenderState } from '../../core/policy/offender.js';
import { decodeWindow, encodeWindow } from './window-codec.js';

export interface OffenderRecord {
  /** canonical address text: the natural key */
  readonly ip: string;
  /** the address parsed, kept so a known offender's lines need no parsing */
  readonly value: IpValue;
  readonly state: OffenderState;
  /** times of its first and latest affair, ms */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** its latest ban row, if any */
  readonly banId: number | null;
}

interface Row {
  id: number;
  affairs_in_window: Buffer | null;
  dns_class: string;
  first_seen: number;
  last_seen: number;
  bans_count: number;
  ban_id: number | null;
  ban_until: number | null;
  ban_state: string | null;
}

export class OffenderBook {
  private readonly cache = new Map<string, OffenderRecord>();
  // row ids of stored offenders: a record put for the first time has none until its flush inserts it
  private readonly rowIds = new Map<string, number>();
  // put since the last flush / since the last commit (what a rollback must forget)
  private readonly dirty = new Set<string>();
  private readonly touched = new Set<string>();
  private readonly select: Database.Statement<[string], Row>;
  private readonly update: Database.Statement<[Buffer | null, string, number, number, number | null, number]>;
  private readonly insert: Database.Statement<[string, number, Buffer | null, string, number, number, number, number | null]>;

  constructor(db: Database.Database) {
    this.select = db.prepare(
      `SELECT o.id, o.affairs_in_window, o.dns_class, o.first_seen, o.last_seen, o.bans_count, o.ban_id,
              b.until AS ban_until, b.state AS ban_state
       FROM offenders o LEFT JOIN bans b ON b.id = o.ban_id WHERE o.ip = ?`,
    );
    this.update = db.prepare('UPDATE offenders SET affairs_in_window = ?, dns_class = ?, last_seen = ?, bans_count = ?, ban_id = ? WHERE id = ?');
    this.insert = db.prepare(
      `INSERT INTO offenders (ip, family, affairs_in_window, dns_class, first_seen, last_seen, bans_count, ban_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Offenders held in memory (diagnostics, tests). */
  get size(): number {
    return this.cache.size;
  }

  /** The offender if it is in memory; `text` need not be canonical (a miss then just costs a parse). */
  cached(text: string): OffenderRecord | undefined {
    return this.cache.get(text);
  }

  /** The offender of canonical address `ip` (parsed: `value`), from memory or its row. */
  get(ip: string, value: IpValue): OffenderRecord | undefined {
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit;
    const r = this.select.get(ip);
    if (r === undefined) return undefined;
    const current = r.ban_state === 'pending' || r.ban_state === 'active';
    const rec: OffenderRecord = {
      ip,
      value,
      state: {
        window: decodeWindow(r.affairs_in_window),
        dnsClass: isDnsClass(r.dns_class) ? r.dns_class : 'unknown',
        bans: r.bans_count,
        bannedUntil: current ? (r.ban_until ?? Number.POSITIVE_INFINITY) : null,
      },
      firstSeen: r.first_seen,
      lastSeen: r.last_seen,
      banId: r.ban_id,
    };
    this.cache.set(ip, rec);
    this.rowIds.set(ip, r.id);
    return rec;
  }

  /** Takes the new record; it reaches the table at the next flush. */
  put(rec: OffenderRecord): void {
    this.cache.set(rec.ip, rec);
    this.dirty.add(rec.ip);
    this.touched.add(rec.ip);
  }

  /** Writes every record put since the last flush; call inside the batch's transaction. */
  flush(): void {
    for (const ip of this.dirty) {
      const r = this.cache.get(ip)!;
      const s = r.state;
      const window = encodeWindow(s.window);
      const id = this.rowIds.get(ip);
      if (id !== undefined) this.update.run(window, s.dnsClass, r.lastSeen, s.bans, r.banId, id);
      else {
        const inserted = this.insert.run(ip, r.value.family, window, s.dnsClass, r.firstSeen, r.lastSeen, s.bans, r.banId);
        this.rowIds.set(ip, Number(inserted.lastInsertRowid));
      }
    }
    this.dirty.clear();
  }

  /** The transaction committed: what it wrote is now what the table holds. */
  committed(): void {
    this.touched.clear();
  }

  /** The transaction rolled back: the memory of the offenders it touched is wrong, read them again later. */
  rolledBack(): void {
    for (const ip of this.touched) this.forget(ip);
    this.dirty.clear();
    this.touched.clear();
  }

  /** Drops one offender from memory (its row changed behind the cache, e.g. an operator's unban). */
  forget(ip: string): void {
    this.cache.delete(ip);
    this.rowIds.delete(ip);
  }

  /** Drops from memory the offenders not seen since `before`; their rows stay. Returns how many. */
  evictIdle(before: number): number {
    let n = 0;
    for (const [ip, rec] of this.cache) {
      if (rec.lastSeen < before && !this.touched.has(ip)) {
        this.forget(ip);
        n++;
      }
    }
    return n;
  }
}
