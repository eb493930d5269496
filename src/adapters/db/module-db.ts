// One module's SQLite database (WAL): affairs, offenders, bans and source positions. Opened and written
// only by that module's actor; every batch of detections is one transaction with its affairs and pending
// bans; offender changes are written behind, about once a second (see flush).
import type Database from 'better-sqlite3';
import type { SetEntries } from '../../core/fw-plan.js';
import { formatIp, parseIp, type ParsedIp } from '../../core/ip.js';
import type { Detection, ModuleName } from '../../core/logline/types.js';
import type { DnsClass } from '../../core/policy/dns-class.js';
import type { PolicyContext } from '../../core/policy/offender.js';
import { AffairBlocks } from './affair-blocks.js';
import { AffairRecorder, hostAddress, type BatchContext, type BatchResult, type PositionAt } from './affair-recorder.js';
import { collectEntries, type BanRow } from './ban-row.js';
import { BanTable } from './ban-table.js';
import * as upkeep from './maintenance.js';
import { OffenderBook, type OffenderRecord } from './offender-book.js';
import { openModuleFile } from './open-file.js';
import { PositionTable, type PositionStore } from './position-store.js';
import { OFFENDERS_GONE, Rollup } from './rollup.js';

export type { BatchContext, BatchResult, PositionAt } from './affair-recorder.js';

export interface ExpireResult {
  /** bans whose time ran out, now expired: ask fw-writer to delete their entries */
  ended: BanRow[];
  affairsDeleted: number;
  offendersDeleted: number;
  bansDeleted: number;
  /** offenders dropped from memory (their rows stay) */
  evicted: number;
}

export interface Retention {
  /** affairs older than this are deleted */
  affairsMs: number;
  /** offenders not seen for this long, and not banned, are deleted (escalation forgets them), and so are
   *  ended bans older than this */
  offendersMs: number;
  /** offenders not seen for this long leave the in-memory cache */
  idleMs: number;
}

export const DEFAULT_RETENTION: Readonly<Retention> = Object.freeze({
  affairsMs: 7 * 86_400_000,
  offendersMs: 30 * 86_400_000,
  idleMs: 3_600_000,
});

/** When offender changes get written behind (besides flush() and close()). */
export interface WriteBehind {
  /** a batch appends them to the offender log when the last such write is this old (module clock, ms) */
  intervalMs: number;
  /** ... or when this many offenders are behind: bounds what a crash can lose, and one write's work */
  maxUnwritten: number;
  /** a write compacts (folds the log into the offenders table) once the log holds this many bytes */
  maxLogBytes: number;
}

export const DEFAULT_WRITE_BEHIND: Readonly<WriteBehind> = Object.freeze({ intervalMs: 1000, maxUnwritten: 50_000, maxLogBytes: 32 << 20 });

export interface OpenOptions {
  /** for the saved-at time of source positions and the write-behind interval; tests pass a fixed one */
  clock?: () => number;
  writeBehind?: Partial<WriteBehind>;
}

export class ModuleDb {
  private readonly offenders: OffenderBook;
  private readonly bans: BanTable;
  private readonly positions: PositionTable;
  private readonly affairs: AffairBlocks;
  private readonly deleteOffenders: Database.Statement<[number]>;
  private readonly recorder: AffairRecorder;
  private readonly rollup: Rollup;
  private readonly batchTx: (detections: readonly Detection[], ctx: BatchContext, at: PositionAt | undefined) => BatchResult;
  private readonly dnsTx: (ip: string, cls: DnsClass, ctx: PolicyContext) => BanRow[];
  private readonly flushTx: () => number;
  private readonly compactTx: () => number;
  private readonly unbanTx: (entry: string) => BanRow[];
  private readonly manualBanTx: (entry: ParsedIp, since: number, until: number | null) => BanRow;
  private readonly forgetTx: (ip: string) => { affairs: number; offender: boolean };
  private readonly writeBehind: WriteBehind;
  // module clock of the last commit that wrote every offender change; and of such a write not yet committed
  private lastFlush: number;
  private flushing: number | null = null;

  private constructor(
    private readonly db: Database.Database,
    readonly module: ModuleName,
    readonly file: string,
    private readonly clock: () => number,
    writeBehind: Partial<WriteBehind>,
  ) {
    this.writeBehind = { ...DEFAULT_WRITE_BEHIND, ...writeBehind };
    this.lastFlush = clock();
    this.offenders = new OffenderBook(db);
    // a crash may have left offender rows behind the log and the bans: before anything reads them
    db.transaction(() => this.offenders.recover()).immediate();
    this.bans = new BanTable(db);
    this.positions = new PositionTable(db, clock);
    this.affairs = new AffairBlocks(db);
    const recorder = new AffairRecorder(db, this.offenders, this.bans, this.positions, this.affairs);
    this.recorder = recorder;
    // expiry deletes blocks of affairs below a cut id (see AffairBlocks.cut), after rolling them up
    this.rollup = new Rollup(db);
    this.deleteOffenders = db.prepare(`DELETE FROM offenders WHERE ${OFFENDERS_GONE}`);
    this.batchTx = this.guarded(
      db.transaction((d: readonly Detection[], c: BatchContext, at: PositionAt | undefined) => {
        const r = recorder.batch(d, c, at);
        this.writeBehindIfDue();
        return r;
      }),
    );
    this.dnsTx = this.guarded(db.transaction((ip: string, cls: DnsClass, c: PolicyContext) => recorder.reclassify(ip, cls, c)));
    this.flushTx = this.guarded(db.transaction(() => this.writeOffenders()));
    // an operator's unban: the offender is no longer banned (its window was emptied by the ban)
    this.unbanTx = this.guarded(
      db.transaction((entry: string) => {
        const rows = this.bans.remove(entry, this.clock());
        const o = this.offenders.slots;
        const s = this.offenders.cached(entry);
        if (s >= 0 && rows.some((b) => b.id === o.banId(s))) {
          o.willChange(s);
          o.setBannedUntil(s, null);
          this.offenders.changed(s);
        }
        return rows;
      }),
    );
    this.compactTx = this.guarded(db.transaction(() => this.compactOffenders()));
    // an operator's ban: the offender (if any) points at it, so the policy does not ban it again meanwhile
    this.manualBanTx = this.guarded(
      db.transaction((ip: ParsedIp, since: number, until: number | null) => {
        const entry = formatIp(ip);
        const row = this.bans.addManual({ entry, family: ip.family, since, until, reason: 'manual', rule: null, subnet: null });
        const s = ip.prefix === (ip.family === 4 ? 32 : 128) ? this.offenders.get(entry, ip) : -1;
        if (s >= 0) {
          const o = this.offenders.slots;
          o.willChange(s);
          o.setBanId(s, row.id);
          o.setBannedUntil(s, until ?? Number.POSITIVE_INFINITY);
          this.offenders.changed(s);
        }
        return row;
      }),
    );
    // an operator's unban starts the address afresh: the log is folded first, so no replay revives it
    const deleteOffender = db.prepare<[string]>('DELETE FROM offenders WHERE ip = ?');
    this.forgetTx = this.guarded(
      db.transaction((ip: string) => {
        this.offenders.compact();
        const p = parseIp(ip);
        const affairs = this.affairs.forget(p.ok && p.ip.family === 4 ? p.ip.v4 : -1, ip);
        return { affairs, offender: deleteOffender.run(ip).changes > 0 };
      }),
    );
  }

  /**
   * Opens (creating and migrating as needed) the database of `module` at `file` (":memory:" for tests).
   * Throws WatcherError when the file belongs to another module or to a newer Watcher.
   */
  static open(file: string, module: ModuleName, opts: OpenOptions = {}): ModuleDb {
    return new ModuleDb(openModuleFile(file, module), module, file, opts.clock ?? Date.now, opts.writeBehind ?? {});
  }

  /**
   * The hot path: records a batch of detections in ONE transaction: each affair, and a pending ban (plus
   * a subnet ban) where the policy says so. When `at` is given, the reader's position after these lines
   * is saved in the same transaction: after a crash a line's affair is either stored and behind the saved
   * position, or neither. Offenders change in memory and are written behind (see flush): a crash loses at
   * most their counting since the last flush (affair windows, DNS classes, last seen), never an affair, a
   * ban or a position; a ban's offender is brought up to date from the ban at the next open. Throws (and
   * changes nothing, in the file or in memory) when SQLite fails.
   */
  recordBatch(detections: readonly Detection[], ctx: BatchContext, at?: PositionAt): BatchResult {
    return this.batchTx(detections, ctx, at);
  }

  /**
   * Writes the offender changes not yet written (one blob appended to the offender log, in one
   * transaction) and compacts the log when it has grown large; returns how many offenders it wrote.
   * Cheap when nothing changed, a no-op after close(). Call it about once a second and when the module
   * goes idle; close() writes too. Throws when SQLite fails; nothing is lost then, the next call writes them.
   */
  flush(): number {
    if (!this.db.open) return 0;
    if (this.offenders.unwritten === 0) {
      this.lastFlush = this.clock();
      return 0;
    }
    return this.flushTx();
  }

  /**
   * Writes every offender change into the offenders table and empties the offender log (expire and
   * close do); returns the rows written. Writes nothing when there is nothing to fold.
   */
  compact(): number {
    if (!this.offenders.needsCompaction) return 0;
    return this.compactTx();
  }

  /** Offenders changed since the last flush: what a crash now would lose. */
  get unwrittenOffenders(): number {
    return this.offenders.unwritten;
  }

  /** A DNS class arrived for `ip` (asynchronously): stores it and re-evaluates; returns new pending bans. */
  applyDnsClass(ip: string, cls: DnsClass, ctx: PolicyContext): BanRow[] {
    return this.dnsTx(ip, cls, ctx);
  }

  /** fw-writer confirmed these bans: pending -> active. Returns how many changed. */
  markBanActive(ids: Iterable<number>): number {
    return this.db.transaction(() => this.bans.markActive(ids))();
  }

  /** Bans written but not confirmed: at (re)start, send them to fw-writer again. */
  pendingBans(): BanRow[] {
    return this.bans.pendingRows();
  }

  /** The module's set for the master load: pending and active bans not past their end at `now`. */
  activeBans(now: number): SetEntries {
    return collectEntries(this.bans.currentEntryTexts(now)).entries;
  }

  /** An operator lifts the ban of `entry` (address or CIDR, any textual form); returns the rows lifted. */
  unban(entry: string): BanRow[] {
    const r = parseIp(entry);
    if (!r.ok) return [];
    return this.unbanTx(formatIp(r.ip));
  }

  /**
   * An operator's ban of `entry` (address or CIDR, any textual form) from `since` until `until` (null:
   * permanent), written pending with reason "manual": send it to fw-writer. Undefined when `entry` is no address.
   */
  manualBan(entry: string, since: number, until: number | null): BanRow | undefined {
    const r = parseIp(entry);
    return r.ok ? this.manualBanTx(r.ip, since, until) : undefined;
  }

  /**
   * Clears a single address's history after an operator's unban: its affairs and its offender (window,
   * DNS class, ban count), so its next affair counts from 1. A scan of every block of affairs (no index
   * by address: it would cost every batch on the hot path). Networks have no history of their own: nothing.
   */
  forget(entry: string): { affairs: number; offender: boolean } {
    const host = hostAddress(entry);
    if (host === undefined) return { affairs: 0, offender: false };
    const r = this.forgetTx(host.addr);
    this.offenders.forget(host.addr);
    return r;
  }

  /** Ages out bans, affairs and offenders at `now`; returns the bans whose entries must be deleted. */
  expire(now: number, retention: Partial<Retention> = {}): ExpireResult {
    const r = { ...DEFAULT_RETENTION, ...retention };
    // offenders are deleted by their rows' last_seen, and dropped from memory: the rows must be current
    this.compact();
    // what goes is first added to the hourly rollups (history for reports), in the same transaction
    const result = this.db.transaction(() => {
      const ended = this.bans.expireDue(now);
      const cut = this.affairs.cut(now - r.affairsMs);
      this.rollup.affairsBelow(cut);
      const affairsDeleted = this.affairs.deleteBelow(cut);
      this.rollup.offendersBefore(now - r.offendersMs);
      const offendersDeleted = this.deleteOffenders.run(now - r.offendersMs).changes;
      this.rollup.bansBefore(now - r.offendersMs);
      return { ended, affairsDeleted, offendersDeleted, bansDeleted: this.bans.deleteEnded(now - r.offendersMs) };
    })();
    // deleted offenders must not live on in memory: the cache horizon is never longer than the table's
    const evicted = this.offenders.evictIdle(now - Math.min(r.idleMs, r.offendersMs));
    return { ...result, evicted };
  }

  // --- upkeep after expiry (maintenance.ts); what to do when is decided by core/module/upkeep.ts ---

  /** Refreshes stale planner statistics (PRAGMA optimize): cheap, after every expiry run. */
  optimize(): void {
    upkeep.optimize(this.db);
  }

  /** Page size, pages and free pages of the file. */
  space(): upkeep.FileSpace {
    return upkeep.fileSpace(this.db);
  }

  /** Rebuilds the file without its free pages (VACUUM), truncates the WAL and remembers `now`. */
  vacuum(now: number): upkeep.CheckpointResult {
    return upkeep.vacuum(this.db, now);
  }

  /** When vacuum() last ran on this file; null: never. */
  lastVacuum(): number | null {
    return upkeep.lastVacuum(this.db);
  }

  /** Moves the WAL into the file and truncates it (after big deletions). */
  checkpoint(): upkeep.CheckpointResult {
    return upkeep.checkpoint(this.db);
  }

  /** The saved position of one source (key chosen by the reader, e.g. "file:/var/log/auth.log"). */
  positionStore(key: string): PositionStore {
    return this.positions.store(key);
  }

  /** One offender as stored (reports, tests); undefined when never seen or already forgotten. */
  offender(ip: string): OffenderRecord | undefined {
    const host = hostAddress(ip);
    const s = host ? this.offenders.get(host.addr, host) : -1;
    return s >= 0 ? this.offenders.record(s) : undefined;
  }

  ban(id: number): BanRow | undefined {
    return this.bans.get(id);
  }

  /** Offenders held in memory. */
  get cachedOffenders(): number {
    return this.offenders.size;
  }

  /** Writes every offender change into the offenders table (compact), then closes; closes even when that fails. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.compact();
    } finally {
      this.db.close();
    }
  }

  // Inside a batch: writes the offender changes when the last such write is old enough or too many wait.
  private writeBehindIfDue(): void {
    const wb = this.writeBehind;
    if (this.offenders.unwritten >= wb.maxUnwritten || this.clock() - this.lastFlush >= wb.intervalMs) this.writeOffenders();
  }

  private writeOffenders(): number {
    this.flushing = this.clock();
    if (this.offenders.logSize >= this.writeBehind.maxLogBytes) return this.offenders.compact();
    return this.offenders.appendToLog();
  }

  private compactOffenders(): number {
    this.flushing = this.clock();
    return this.offenders.compact();
  }

  // A rollback must also throw away the memory the transaction had changed; a commit settles it.
  private guarded<A extends unknown[], R>(tx: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      let result: R;
      try {
        result = tx(...args);
      } catch (e) {
        this.offenders.rolledBack();
        this.recorder.rolledBack();
        this.flushing = null;
        throw e;
      }
      this.offenders.committed();
      if (this.flushing !== null) this.lastFlush = this.flushing;
      this.flushing = null;
      return result;
    };
  }
}
