// The module's offenders: held in memory once touched (only the module's actor writes this database) and
// changed there in place; the memory is the truth. Changes go to disk behind: appended to the offender log
// (one blob per flush), folded into the offenders table by a compaction, replayed after a crash. Never
// drops from memory an offender whose row is not current.
import type Database from 'better-sqlite3';
import type { IpValue } from '../../core/ip.js';
import { ownString } from '../../core/own-string.js';
import type { AddressMatcher } from '../../core/ip-matcher.js';
import { fromPairs, type WindowPairs } from '../../core/policy/affair-window.js';
import { DNS_CLASSES, isDnsClass, type DnsClass } from '../../core/policy/dns-class.js';
import type { LiveOffender, OffenderState } from '../../core/policy/offender.js';
import { MultiRowWriter } from './multi-row.js';
import { OffenderIndex } from './offender-index.js';
import { decodeStates, encodeState, stateBytes, type LoggedState } from './offender-log.js';
import { decodeWindow, encodeWindowInto } from './window-codec.js';

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

/** One offender in memory, changed in place by the policy (LiveOffender) and the recorder. */
export class Offender implements LiveOffender {
  window: WindowPairs = [];
  dnsClass: DnsClass = 'unknown';
  bans = 0;
  bannedUntil: number | null = null;
  firstSeen: number;
  lastSeen: number;
  banId: number | null = null;
  checkedAgainst: AddressMatcher | null = null;
  whitelistHit = false;
  /** changed since its state was last written (log or row) */
  behind = false;
  /** its state is in the offender log, its row is older */
  logged = false;
  /** the transaction that last saved it for a rollback */
  savedIn = 0;

  readonly family: 4 | 6;
  /** IPv4: the address as a number (what its affair rows store); IPv6: 0 */
  readonly v4: number;
  // IPv6 only. An IPv4 offender keeps no parsed object: one object (and its own hidden class, when it
  // came from a spread) less per offender; the rare paths that need one rebuild it (see value)
  private readonly v6: IpValue | null;

  /** `ip` is the canonical text of `value`, a single address. */
  readonly ip: string;

  constructor(
    ip: string,
    value: IpValue,
    time: number,
  ) {
    // held as long as the offender is: never a slice of the line it came from (see ownString)
    this.ip = ownString(ip);
    this.family = value.family;
    this.v4 = value.family === 4 ? value.v4 : 0;
    this.v6 = value.family === 6 ? { family: 6, v6: value.v6, prefix: value.prefix, normalised: false } : null;
    this.firstSeen = time;
    this.lastSeen = time;
  }

  /** The address parsed, for the rare paths (a ban's subnet); an IPv4 one is built on each call. */
  get value(): IpValue {
    return this.v6 ?? { family: 4, v4: this.v4, prefix: 32, normalised: false };
  }

  record(): OffenderRecord {
    return {
      ip: this.ip,
      state: {
        window: fromPairs(this.window),
        dnsClass: this.dnsClass,
        bans: this.bans,
        bannedUntil: this.bannedUntil,
      },
      firstSeen: this.firstSeen,
      lastSeen: this.lastSeen,
      banId: this.banId,
    };
  }
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
  private readonly cache = new OffenderIndex<Offender>();
  // offenders with `behind` / `logged` set (a rollback may leave stale entries in `behind`, filtered then)
  private behind: Offender[] = [];
  private logged: Offender[] = [];
  private logBytes = 0;
  // the open transaction: what a rollback restores (flat, so saving allocates nothing), what a commit settles
  private tx = 1;
  private readonly undoRefs: Offender[] = [];
  private undoCount = 0;
  private undoNums = new Float64Array(4096);
  private undoUsed = 0;
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
  private logBuf = new ArrayBuffer(1 << 20);
  private logView = new DataView(this.logBuf);

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
    return this.cache.size;
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

  /** The offender if it is in memory; `text` need not be canonical (a miss then just costs a parse). */
  cached(text: string): Offender | undefined {
    return this.cache.get(text);
  }

  /** The offender of canonical address `ip` (parsed: `value`), from memory or its row. */
  get(ip: string, value: IpValue): Offender | undefined {
    const hit = this.cache.get(ip);
    if (hit !== undefined) return hit;
    const r = this.select.get(ip);
    if (r === undefined) return undefined;
    const o = new Offender(ip, value, r.first_seen);
    o.window = decodeWindow(r.affairs_in_window);
    o.dnsClass = isDnsClass(r.dns_class) ? r.dns_class : 'unknown';
    o.bans = r.bans_count;
    const current = r.ban_state === 'pending' || r.ban_state === 'active';
    o.bannedUntil = current ? (r.ban_until ?? Number.POSITIVE_INFINITY) : null;
    o.lastSeen = r.last_seen;
    o.banId = r.ban_id;
    this.cache.add(o);
    return o;
  }

  /** Call (inside a transaction) before changing `o` in place: a rollback puts it back as it is now. */
  willChange(o: Offender): void {
    if (o.savedIn === this.tx) return;
    o.savedIn = this.tx;
    const w = o.window;
    const n = w.length;
    let p = this.undoUsed;
    if (p + 9 + n > this.undoNums.length) {
      const bigger = new Float64Array(Math.max(this.undoNums.length * 2, p + 9 + n));
      bigger.set(this.undoNums.subarray(0, p));
      this.undoNums = bigger;
    }
    const u = this.undoNums;
    u[p++] = SAVED;
    u[p++] = DNS_CLASSES.indexOf(o.dnsClass);
    u[p++] = o.bans;
    u[p++] = o.bannedUntil ?? Number.NaN;
    u[p++] = o.firstSeen;
    u[p++] = o.lastSeen;
    u[p++] = o.banId ?? Number.NaN;
    u[p++] = o.behind ? 1 : 0;
    u[p++] = n;
    for (let i = 0; i < n; i++) u[p++] = w[i]!;
    this.undoUsed = p;
    this.undoRefs[this.undoCount++] = o;
  }

  /** Takes a new offender into memory (inside a transaction: a rollback drops it again). */
  adopt(o: Offender): void {
    o.savedIn = this.tx;
    if (this.undoUsed === this.undoNums.length) {
      const bigger = new Float64Array(this.undoNums.length * 2);
      bigger.set(this.undoNums);
      this.undoNums = bigger;
    }
    this.undoNums[this.undoUsed++] = FRESH;
    this.undoRefs[this.undoCount++] = o;
    this.cache.add(o);
  }

  /** `o` changed (inside a transaction): its state is behind until the next appendToLog() or compact(). */
  changed(o: Offender): void {
    if (o.behind) return;
    o.behind = true;
    this.behind.push(o);
  }

  /**
   * Appends the state of every offender that is behind to the offender log as one blob (inside a
   * transaction), with the newest ban so far: they reflect it. Returns how many.
   */
  appendToLog(): number {
    const list = this.behind;
    if (list.length === 0) return 0;
    let bytes = 0;
    for (const o of list) bytes += stateBytes(o.ip.length, o.window.length);
    if (this.logBuf.byteLength < bytes) {
      this.logBuf = new ArrayBuffer(Math.max(bytes, this.logBuf.byteLength * 2));
      this.logView = new DataView(this.logBuf);
    }
    const view = this.logView;
    let off = 0;
    for (const o of list) {
      off = encodeState(view, off, o.ip, o.family, o.window, o.dnsClass, o.firstSeen, o.lastSeen, o.bans, o.banId);
    }
    this.appendLog.run(Buffer.from(this.logBuf, 0, off));
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
    const list = this.logged.slice();
    for (const o of this.behind) if (!o.logged) list.push(o);
    list.sort(byIp);
    for (const o of list) this.addRow(o.ip, o.family, o.window, o.dnsClass, o.firstSeen, o.lastSeen, o.bans, o.banId);
    this.upsert.finish();
    if (this.logBytes > 0) this.clearLog.run();
    this.saveMark.run();
    this.wrote = 'rows';
    return list.length;
  }

  /** The transaction committed: what it wrote is on disk. */
  committed(): void {
    if (this.wrote === 'log') {
      for (const o of this.behind) {
        o.behind = false;
        if (!o.logged) {
          o.logged = true;
          this.logged.push(o);
        }
      }
      this.behind = [];
      this.logBytes += this.wroteBytes;
    } else if (this.wrote === 'rows') {
      for (const o of this.behind) o.behind = false;
      for (const o of this.logged) o.logged = false;
      this.behind = [];
      this.logged = [];
      this.logBytes = 0;
    }
    this.endTx();
  }

  /** The transaction rolled back: every offender it changed is as before, and so is what is behind. */
  rolledBack(): void {
    const u = this.undoNums;
    let p = 0;
    for (let k = 0; k < this.undoCount; k++) {
      const o = this.undoRefs[k]!;
      if (u[p++] === FRESH) {
        this.cache.delete(o);
        o.behind = false;
        continue;
      }
      o.dnsClass = DNS_CLASSES[u[p++]!] ?? 'unknown';
      o.bans = u[p++]!;
      const until = u[p++]!;
      o.bannedUntil = Number.isNaN(until) ? null : until;
      o.firstSeen = u[p++]!;
      o.lastSeen = u[p++]!;
      const banId = u[p++]!;
      o.banId = Number.isNaN(banId) ? null : banId;
      o.behind = u[p++] === 1;
      const n = u[p++]!;
      const w: WindowPairs = [];
      for (let i = 0; i < n; i++) w.push(u[p++]!);
      o.window = w;
    }
    this.behind = this.behind.filter((o) => o.behind);
    this.upsert.reset();
    this.endTx();
  }

  /**
   * Drops one offender from memory (an operator's unban clears it). Only after a compaction committed:
   * its row is then current and the caller deletes it, so nothing written behind brings it back.
   */
  forget(ip: string): boolean {
    const o = this.cache.get(ip);
    if (o === undefined || o.behind || o.logged) return false;
    this.cache.delete(o);
    return true;
  }

  /** Drops from memory the offenders not seen since `before` whose rows are current. Returns how many. */
  evictIdle(before: number): number {
    let n = 0;
    this.cache.forEach((o) => {
      if (o.lastSeen < before && !o.behind && !o.logged) {
        this.cache.delete(o);
        n++;
      }
    });
    return n;
  }

  private endTx(): void {
    // the slots are reused: what is left in them is overwritten by the next transaction
    this.undoCount = 0;
    this.undoUsed = 0;
    this.wrote = 'nothing';
    this.wroteBytes = 0;
    this.tx++;
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
