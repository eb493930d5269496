// The module's offenders: held in memory once touched (only the module's actor writes this database) and
// changed there in place (flat records, see OffenderSlots); the memory is the truth. Changes go to disk
// behind: appended to the offender log (one blob per flush), folded into the offenders table by a
// compaction, replayed after a crash. Never drops from memory an offender whose row is not current.
import type Database from 'better-sqlite3';
import type { IpValue } from '../../core/ip.js';
import { fromPairs, type WindowPairs } from '../../core/policy/affair-window.js';
import { isDnsClass, type DnsClass } from '../../core/policy/dns-class.js';
import type { OffenderState } from '../../core/policy/offender.js';
import { MultiRowWriter } from './multi-row.js';
import { decodeStates, encodeHeader, encodeState, HEADER_BYTES, stateBytes, type LoggedState } from './offender-log.js';
import { BEHIND, LOGGED, OffenderCursor, OffenderSlots } from './offender-slots.js';
import { decodeWindow, encodeWindowInto } from './window-codec.js';

export { OffenderCursor } from './offender-slots.js';

/** An offender as reports and tests see it: a copy, never changed afterwards. */
export interface OffenderRecord {
  /** canonical address text: the natural key */
  readonly ip: string;
  readonly state: OffenderState;
  /** times of its first and latest affair, ms */
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** its latest ban row, if any */
  readonly banId: number | null;
}

interface Row {
  affairs_in_window: Buffer | null;
  dns_class: string;
  first_seen: number;
  last_seen: number;
  bans_count: number;
  ban_id: number | null;
  ban_until: number | null;
  ban_state: string | null;
}

const WATERMARK = 'offenders_through_ban';
const MAX_BAN = '(SELECT coalesce(max(id), 0) FROM bans)';
// undo entries: FRESH (dropped on rollback) or SAVED followed by the fields and the window
const FRESH = 0;
const SAVED = 1;

export class OffenderBook {
  /** the offenders in memory, by slot: the recorder and the module change them through this */
  readonly slots = new OffenderSlots();
  // slots with BEHIND / LOGGED set (a rollback may leave stale entries in `behind`, filtered then)
  private behind: number[] = [];
  private logged: number[] = [];
  private logBytes = 0;
  private wrote: 'nothing' | 'log' | 'rows' = 'nothing';
  private wroteBytes = 0;
  private readonly select: Database.Statement<[string], Row>;
  private readonly upsert: MultiRowWriter;
  private readonly appendLog: Database.Statement<[Buffer]>;
  private readonly clearLog: Database.Statement<[]>;
  private readonly saveMark: Database.Statement<[]>;
  // blobs of one statement's rows: views into this buffer, bound (copied) before it is reused
  private arena = Buffer.allocUnsafe(64 * 1024);
  private arenaUsed = 0;
  // the offender log's blob is encoded here (SQLite copies a bound blob): grown, never shrunk
  private logBuf = new Uint8Array(1 << 20);
  private readonly scratch: WindowPairs = [];

  constructor(private readonly db: Database.Database) {
    this.select = db.prepare(
      `SELECT o.affairs_in_window, o.dns_class, o.first_seen, o.last_seen, o.bans_count, o.ban_id,
              b.until AS ban_until, b.state AS ban_state
       FROM offenders o LEFT JOIN bans b ON b.id = o.ban_id WHERE o.ip = ?`,
    );
    // first_seen and family never change for a stored row; the rest is the record's
    this.upsert = new MultiRowWriter(
      db,
      'INSERT INTO offenders (ip, family, affairs_in_window, dns_class, first_seen, last_seen, bans_count, ban_id) VALUES',
      8,
      `ON CONFLICT (ip) DO UPDATE SET affairs_in_window = excluded.affairs_in_window, dns_class = excluded.dns_class,
         last_seen = excluded.last_seen, bans_count = excluded.bans_count, ban_id = excluded.ban_id`,
      () => {
        this.arenaUsed = 0;
      },
    );
    this.appendLog = db.prepare(`INSERT INTO offender_log (states, through_ban) VALUES (?, ${MAX_BAN})`);
    this.clearLog = db.prepare('DELETE FROM offender_log');
    this.saveMark = db.prepare(`INSERT INTO meta (key, value) VALUES ('${WATERMARK}', ${MAX_BAN}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  }

  /** Offenders held in memory (diagnostics, tests). */
  get size(): number {
    return this.slots.size;
  }

  /** Offenders changed since their state was last written: what a crash now would lose. */
  get unwritten(): number {
    return this.behind.length;
  }

  /** Some offender's row is not current (its change is behind, or only in the log). */
  get needsCompaction(): boolean {
    return this.behind.length > 0 || this.logged.length > 0 || this.logBytes > 0;
  }

  /** Bytes of states in the offender log (what the next compaction folds into rows). */
  get logSize(): number {
    return this.logBytes;
  }

  /**
   * After a crash (call inside a transaction, before anything else): replays the offender log into the
   * rows, then folds in the bans newer than what the rows and the log reflect: each is one more ban, the
   * latest ban, and empties the window, as the policy did. Writes nothing when there is nothing to do.
   * Returns the states replayed and the bans folded.
   */
  recover(): { replayed: number; folded: number } {
    const log = this.db
      .prepare<[], { states: Buffer; through_ban: number }>('SELECT states, through_ban FROM offender_log ORDER BY id')
      .all();
    const saved = this.db.prepare(`SELECT value FROM meta WHERE key = '${WATERMARK}'`).pluck().get() as string | undefined;
    // no watermark: a file written before the offender log, whose rows went with every batch
    let mark = saved === undefined ? undefined : Number(saved);
    const latest = new Map<string, LoggedState>();
    for (const r of log) {
      decodeStates(r.states, (s) => latest.set(s.ip, s));
      mark = r.through_ban;
    }
    for (const s of [...latest.values()].sort(byIp)) this.addRow(s.ip, s.family, s.window, s.dnsClass, s.firstSeen, s.lastSeen, s.bans, s.banId);
    this.upsert.finish();
    let folded = 0;
    if (mark !== undefined) {
      const newer = this.db
        .prepare<[number], { id: number; ip_or_cidr: string; family: number; since: number }>(
          `SELECT id, ip_or_cidr, family, since FROM bans WHERE id > ? AND instr(ip_or_cidr, '/') = 0 ORDER BY id`,
        )
        .all(mark);
      const fold = this.db.prepare<[string, number, number, number, number]>(
        `INSERT INTO offenders (ip, family, affairs_in_window, first_seen, last_seen, bans_count, ban_id) VALUES (?, ?, NULL, ?, ?, 1, ?)
         ON CONFLICT (ip) DO UPDATE SET affairs_in_window = NULL, bans_count = bans_count + 1, ban_id = excluded.ban_id,
           last_seen = max(last_seen, excluded.last_seen)`,
      );
      for (const b of newer) fold.run(b.ip_or_cidr, b.family, b.since, b.since, b.id);
      folded = newer.length;
    }
    if (log.length > 0) this.clearLog.run();
    if (log.length > 0 || folded > 0 || saved === undefined) this.saveMark.run();
    return { replayed: latest.size, folded };
  }

  /** The slot of the offender if it is in memory, else -1; `text` need not be canonical. */
  cached(text: string): number {
    return this.slots.find(text);
  }

  /** cached() for an IPv4 address given as its unsigned number. */
  cachedV4(v4: number): number {
    return this.slots.findV4(v4);
  }

  /** The slot of the offender of canonical address `ip` (parsed: `value`), from memory or its row; -1: none. */
  get(ip: string, value: IpValue): number {
    const hit = this.slots.find(ip);
    if (hit >= 0) return hit;
    const r = this.select.get(ip);
    if (r === undefined) return -1;
    // read from its row: a rollback may drop it from memory again, its row is current
    const s = this.slots.create(ip, value, r.first_seen);
    const current = r.ban_state === 'pending' || r.ban_state === 'active';
    const dnsClass = isDnsClass(r.dns_class) ? r.dns_class : 'unknown';
    this.slots.restore(s, decodeWindow(r.affairs_in_window), dnsClass, r.bans_count, current ? (r.ban_until ?? Number.POSITIVE_INFINITY) : null, r.last_seen, r.ban_id);
    return s;
  }

  /** A copy of the offender in `s`. */
  record(s: number): OffenderRecord {
    const o = this.slots;
    return {
      ip: o.ip(s),
      state: { window: fromPairs(o.window(s)), dnsClass: o.dnsClass(s), bans: o.bans(s), bannedUntil: o.bannedUntil(s) },
      firstSeen: o.firstSeen(s),
      lastSeen: o.lastSeen(s),
      banId: o.banId(s),
    };
  }

  /** `s` changed (inside a transaction, after willChange): its state is behind until the next appendToLog() or compact(). */
  changed(s: number): void {
    const f = this.slots.flags(s);
    if ((f & BEHIND) !== 0) return;
    this.slots.setFlags(s, f | BEHIND);
    this.behind.push(s);
  }

  /**
   * Appends the state of every offender that is behind to the offender log as one blob (inside a
   * transaction), with the newest ban so far: they reflect it. Returns how many.
   */
  appendToLog(): number {
    const list = this.behind;
    if (list.length === 0) return 0;
    const o = this.slots;
    let bytes = HEADER_BYTES;
    for (const s of list) bytes += stateBytes(o.ip(s).length, o.windowLength(s));
    if (this.logBuf.length < bytes) this.logBuf = new Uint8Array(Math.max(bytes, this.logBuf.length * 2));
    const buf = this.logBuf;
    // states are written against the first one's last seen: most deltas are then a few bytes
    const base = o.lastSeen(list[0]!);
    let off = encodeHeader(buf, base);
    for (const s of list) {
      off = encodeState(buf, off, base, o.ip(s), o.family(s), o.v4(s), o.window(s, this.scratch), o.dnsClass(s), o.firstSeen(s), o.lastSeen(s), o.bans(s), o.banId(s));
    }
    this.appendLog.run(Buffer.from(buf.buffer, buf.byteOffset, off));
    this.wrote = 'log';
    this.wroteBytes = off;
    return list.length;
  }

  /**
   * Writes the row of every offender that is behind or logged, in key order (b-tree pages are then
   * visited once each: measured half the cost of random order), empties the log and moves the watermark
   * (inside a transaction). Returns how many rows.
   */
  compact(): number {
    const o = this.slots;
    const list = this.logged.slice();
    for (const s of this.behind) if ((o.flags(s) & LOGGED) === 0) list.push(s);
    const keys = list.map((s) => o.ip(s));
    const order = list.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    for (const i of order) {
      const s = list[i]!;
      this.addRow(o.ip(s), o.family(s), o.window(s, this.scratch), o.dnsClass(s), o.firstSeen(s), o.lastSeen(s), o.bans(s), o.banId(s));
    }
    this.upsert.finish();
    if (this.logBytes > 0) this.clearLog.run();
    this.saveMark.run();
    this.wrote = 'rows';
    return list.length;
  }

  /** The transaction committed: what it wrote is on disk. */
  committed(): void {
    const o = this.slots;
    if (this.wrote === 'log') {
      for (const s of this.behind) {
        const f = o.flags(s);
        if ((f & LOGGED) === 0) this.logged.push(s);
        o.setFlags(s, (f & ~BEHIND) | LOGGED);
      }
      this.behind = [];
      this.logBytes += this.wroteBytes;
    } else if (this.wrote === 'rows') {
      for (const s of this.behind) o.setFlags(s, o.flags(s) & ~BEHIND);
      for (const s of this.logged) o.setFlags(s, o.flags(s) & ~LOGGED);
      this.behind = [];
      this.logged = [];
      this.logBytes = 0;
    }
    o.committed();
    this.endTx();
  }

  /** The transaction rolled back: every offender it changed is as before, and so is what is behind. */
  rolledBack(): void {
    const o = this.slots;
    o.rolledBack();
    // a slot freed by the rollback reads as not behind: its flags were cleared when it was made
    this.behind = this.behind.filter((s) => o.isLive(s) && (o.flags(s) & BEHIND) !== 0);
    this.upsert.reset();
    this.endTx();
  }

  /**
   * Drops one offender from memory (an operator's unban clears it). Only after a compaction committed:
   * its row is then current and the caller deletes it, so nothing written behind brings it back.
   */
  forget(ip: string): boolean {
    const s = this.slots.find(ip);
    if (s < 0 || (this.slots.flags(s) & (BEHIND | LOGGED)) !== 0) return false;
    this.slots.remove(s);
    return true;
  }

  /** Drops from memory the offenders not seen since `before` whose rows are current. Returns how many. */
  evictIdle(before: number): number {
    const o = this.slots;
    let n = 0;
    o.forEach((s) => {
      if (o.lastSeen(s) < before && (o.flags(s) & (BEHIND | LOGGED)) === 0) {
        o.remove(s);
        n++;
      }
    });
    return n;
  }

  private endTx(): void {
    this.wrote = 'nothing';
    this.wroteBytes = 0;
  }

  // Adds one offender's row to the statement being filled.
  private addRow(
    ip: string,
    family: 4 | 6,
    window: readonly number[],
    dnsClass: DnsClass,
    firstSeen: number,
    lastSeen: number,
    bans: number,
    banId: number | null,
  ): void {
    let blob: Buffer | null = null;
    const bytes = window.length * 8;
    if (bytes > 0) {
      if (this.arenaUsed + bytes > this.arena.length) {
        // the views already handed out keep the old buffer alive until their statement runs
        this.arena = Buffer.allocUnsafe(Math.max(this.arena.length, bytes * 64));
        this.arenaUsed = 0;
      }
      blob = encodeWindowInto(window, this.arena, this.arenaUsed);
      this.arenaUsed += bytes;
    }
    this.upsert.add8(ip, family, blob, dnsClass, firstSeen, lastSeen, bans, banId);
  }
}

function byIp(a: { ip: string }, b: { ip: string }): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}
