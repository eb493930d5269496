// The bans table of one module database: writes new bans as pending, moves them through their states
// and answers the questions subnet aggregation and the master load ask. Statements are prepared once.
import type Database from 'better-sqlite3';
import type { Family } from '../../core/fw-plan.js';
import type { SubnetFacts } from '../../core/policy/subnet.js';
import { banFromRecord, type BanRecord, type BanRow } from './ban-row.js';
import { BANS_GONE } from './rollup.js';
import { MultiRowWriter } from './multi-row.js';

export interface NewBan {
  entry: string;
  family: Family;
  since: number;
  until: number | null;
  reason: string;
  rule: string | null;
  /** the aggregation subnet of an address ban; null for a subnet ban itself */
  subnet: string | null;
}

// "current" = pending or active: the rows the firewall should hold
const CURRENT = `state IN ('pending', 'active')`;
// subnet bans: only their entries are indexed (bans_cidr); a query must say so to use the index
const CIDR = `instr(ip_or_cidr, '/') > 0`;

export class BanTable {
  private readonly supersede;
  private readonly supersedeId;
  // new rows are gathered and written 64 at a time (ids assigned here, from the table's max at the
  // first ban of a transaction); written before any other statement touches the table: flush()
  private insertWriter: MultiRowWriter | undefined;
  private readonly maxId;
  private nextId = 0;
  private readonly byId;
  private readonly countSubnet;
  private readonly currentOf;
  private readonly countEntry;
  private readonly activate;
  private readonly pending;
  private readonly currentEntries;
  private readonly ending;
  private readonly endAll;
  private readonly currentByEntry;
  private readonly removeEntry;
  private readonly deleteOld;
  private readonly supersedeEntry;

  constructor(private readonly db: Database.Database) {
    // ended: when the entry left the firewall (reports count expiries and unbans by it)
    this.supersede = db.prepare<[number, string]>(`UPDATE bans SET state = 'expired', ended = ? WHERE ip_or_cidr = ? AND ${CIDR} AND ${CURRENT}`);
    this.supersedeId = db.prepare<[number, number]>(`UPDATE bans SET state = 'expired', ended = ? WHERE id = ? AND ${CURRENT}`);
    this.maxId = db.prepare<[], number>('SELECT coalesce(max(id), 0) FROM bans').pluck();
    this.byId = db.prepare<[number], BanRecord>('SELECT * FROM bans WHERE id = ?');
    this.countSubnet = db
      .prepare<[string, number], number>(`SELECT COUNT(DISTINCT ip_or_cidr) FROM bans WHERE subnet = ? AND since > ? AND state != 'removed'`)
      .pluck();
    this.currentOf = db.prepare<[string], { until: number | null }>(
      `SELECT until FROM bans WHERE ip_or_cidr = ? AND ${CIDR} AND ${CURRENT} ORDER BY id DESC LIMIT 1`,
    );
    this.countEntry = db.prepare<[string], number>(`SELECT COUNT(*) FROM bans WHERE ip_or_cidr = ? AND ${CIDR}`).pluck();
    this.activate = db.prepare<[number]>(`UPDATE bans SET state = 'active' WHERE id = ? AND state = 'pending'`);
    this.pending = db.prepare<[], BanRecord>(`SELECT * FROM bans WHERE state = 'pending' ORDER BY id`);
    this.currentEntries = db
      .prepare<[number], string>(`SELECT ip_or_cidr FROM bans WHERE ${CURRENT} AND (until IS NULL OR until > ?)`)
      .pluck();
    this.ending = db.prepare<[number], BanRecord>(`SELECT * FROM bans WHERE ${CURRENT} AND until IS NOT NULL AND until <= ? ORDER BY id`);
    this.endAll = db.prepare<[number, number]>(`UPDATE bans SET state = 'expired', ended = ? WHERE ${CURRENT} AND until IS NOT NULL AND until <= ?`);
    this.currentByEntry = db.prepare<[string], BanRecord>(`SELECT * FROM bans WHERE ip_or_cidr = ? AND ${CURRENT} ORDER BY id`);
    this.removeEntry = db.prepare<[number, string]>(`UPDATE bans SET state = 'removed', ended = ? WHERE ip_or_cidr = ? AND ${CURRENT}`);
    // operator bans only (rare): every current row of the entry, address or CIDR (a scan: no entry index)
    this.supersedeEntry = db.prepare<[number, string]>(`UPDATE bans SET state = 'expired', ended = ? WHERE ip_or_cidr = ? AND ${CURRENT}`);
    this.deleteOld = db.prepare<[number]>(`DELETE FROM bans WHERE ${BANS_GONE}`);
  }

  /**
   * Writes a pending ban of an address. Its still-current earlier row (its time ran out but the expirer
   * has not swept it yet) is marked expired first, so its later expiry cannot remove the new entry: that
   * row can only be `previous`, the offender's latest ban (null: it never had one).
   */
  add(b: NewBan, previous: number | null): BanRow {
    if (previous !== null) {
      this.flush();
      this.supersedeId.run(b.since, previous);
    }
    return this.insertRow(b);
  }

  /**
   * Writes the new rows still gathered (call before the transaction ends, and before any statement
   * of others reads the table: the offender log's watermark). Every method here flushes first.
   */
  flush(): void {
    if (this.insertWriter !== undefined && this.insertWriter.pending > 0) this.insertWriter.finish();
    // read again at the next ban: whatever else writes the table in between is seen
    this.nextId = 0;
  }

  /** The transaction rolled back: the rows gathered for it are dropped. */
  rolledBack(): void {
    this.insertWriter?.reset();
    this.nextId = 0;
  }

  /** Writes a pending ban of a subnet (a CIDR entry); its still-current earlier rows are marked expired. */
  addSubnet(b: NewBan): BanRow {
    this.flush();
    this.supersede.run(b.since, b.entry);
    return this.insertRow(b);
  }

  /** An operator's ban: every still-current row of the entry is marked expired first, so no earlier
   *  ban's expiry can remove the entry this one puts into the firewall. */
  addManual(b: NewBan): BanRow {
    this.flush();
    this.supersedeEntry.run(b.since, b.entry);
    // written at once: an operator's ban is a transaction of its own, not part of a batch that flushes
    const row = this.insertRow(b);
    this.flush();
    return row;
  }

  private insertRow(b: NewBan): BanRow {
    if (this.nextId === 0) this.nextId = this.maxId.get()! + 1;
    const id = this.nextId++;
    this.writer().add8(id, b.entry, b.family, b.since, b.until, b.reason, b.rule, b.subnet);
    return { id, entry: b.entry, family: b.family, since: b.since, until: b.until, state: 'pending', reason: b.reason, rule: b.rule };
  }

  // prepared at the first ban: an idle module keeps no 64-row statement
  private writer(): MultiRowWriter {
    this.insertWriter ??= new MultiRowWriter(
      this.db,
      'INSERT INTO bans (id, ip_or_cidr, family, since, until, state, reason, rule, subnet) VALUES',
      8,
      '',
      () => {},
      `(?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
    );
    return this.insertWriter;
  }

  get(id: number): BanRow | undefined {
    this.flush();
    const r = this.byId.get(id);
    return r && banFromRecord(r);
  }

  /** What subnet aggregation needs to know about `cidr` (windowStart: bans since then count). */
  subnetFacts(cidr: string, windowStart: number): SubnetFacts {
    this.flush();
    const current = this.currentOf.get(cidr);
    return {
      cidr,
      distinctBanned: this.countSubnet.get(cidr, windowStart) ?? 0,
      bannedUntil: current === undefined ? null : (current.until ?? Number.POSITIVE_INFINITY),
      previousBans: this.countEntry.get(cidr) ?? 0,
    };
  }

  /** pending -> active; returns how many rows changed (a row already ended stays ended). */
  markActive(ids: Iterable<number>): number {
    this.flush();
    let n = 0;
    for (const id of ids) n += this.activate.run(id).changes;
    return n;
  }

  pendingRows(): BanRow[] {
    this.flush();
    return this.pending.all().map(banFromRecord);
  }

  /** Entries the firewall should hold at `now`: pending and active rows not yet past their end. */
  currentEntryTexts(now: number): string[] {
    this.flush();
    return this.currentEntries.all(now);
  }

  /** Marks every current row whose end is at or before `now` expired; returns them (state expired). */
  expireDue(now: number): BanRow[] {
    this.flush();
    const rows = this.ending.all(now).map((r) => ({ ...banFromRecord(r), state: 'expired' as const }));
    this.endAll.run(now, now);
    return rows;
  }

  /** An operator lifts the ban of one entry at `now`: its current rows become removed; returns them. */
  remove(entry: string, now: number): BanRow[] {
    this.flush();
    const rows = this.currentByEntry.all(entry).map((r) => ({ ...banFromRecord(r), state: 'removed' as const }));
    this.removeEntry.run(now, entry);
    return rows;
  }

  /** Forgets ended bans whose end lies before `before`; returns how many rows went. */
  deleteEnded(before: number): number {
    this.flush();
    return this.deleteOld.run(before).changes;
  }
}
