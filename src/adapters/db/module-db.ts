// One module's SQLite database (WAL): affairs, offenders, bans and source positions. Opened and written
// only by that module's actor; every batch of detections is one transaction with its affairs and pending
// bans; offender changes are written behind, about once a second (see flush).
import type Database from 'better-sqlite3';
import type { SetEntries } from '../../core/fw-plan.js';
import { formatIp, parseIp } from '../../core/ip.js';
import type { Detection, ModuleName } from '../../core/logline/types.js';
import type { DnsClass } from '../../core/policy/dns-class.js';
import type { PolicyContext } from '../../core/policy/offender.js';
import { AffairRecorder, hostAddress, type BatchContext, type BatchResult, type PositionAt } from './affair-recorder.js';
import { collectEntries, type BanRow } from './ban-row.js';
import { BanTable } from './ban-table.js';
import { OffenderBook, type OffenderRecord } from './offender-book.js';
import { openModuleFile } from './open-file.js';
import { PositionTable, type PositionStore } from './position-store.js';

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
  private readonly deleteAffairs: Database.Statement<[number]>;
  private readonly deleteOffenders: Database.Statement<[number]>;
  private readonly recorder: AffairRecorder;
  private readonly batchTx: (detections: readonly Detection[], ctx: BatchContext, at: PositionAt | undefined) => BatchResult;
  private readonly dnsTx: (ip: string, cls: DnsClass, ctx: PolicyContext) => BanRow[];
  private readonly flushTx: () => number;
  private readonly compactTx: () => number;
  private readonly unbanTx: (entry: string) => BanRow[];
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
    const recorder = new AffairRecorder(db, this.offenders, this.bans, this.positions);
    this.recorder = recorder;
    // affairs go in id (arrival) order up to the first one still young enough: no time index on the hot
    // path, and a late line with an old time just waits for its neighbours
    this.deleteAffairs = db.prepare(
      `DELETE FROM affair_rows WHERE id < coalesce((SELECT id FROM affair_rows WHERE time >= ? ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM affair_rows))`,
    );
    this.deleteOffenders = db.prepare(
      `DELETE FROM offenders WHERE last_seen < ? AND (ban_id IS NULL OR NOT EXISTS
         (SELECT 1 FROM bans b WHERE b.id = offenders.ban_id AND b.state IN ('pending', 'active')))`,
    );
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
        const rows = this.bans.remove(entry);
        const o = this.offenders.cached(entry);
        if (o !== undefined && rows.some((b) => b.id === o.banId)) {
          this.offenders.willChange(o);
          o.bannedUntil = null;
          this.offenders.changed(o);
        }
        return rows;
      }),
    );
    this.compactTx = this.guarded(db.transaction(() => this.compactOffenders()));
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

  /** Ages out bans, affairs and offenders at `now`; returns the bans whose entries must be deleted. */
  expire(now: number, retention: Partial<Retention> = {}): ExpireResult {
    const r = { ...DEFAULT_RETENTION, ...retention };
    // offenders are deleted by their rows' last_seen, and dropped from memory: the rows must be current
    this.compact();
    const result = this.db.transaction(() => ({
      ended: this.bans.expireDue(now),
      affairsDeleted: this.deleteAffairs.run(now - r.affairsMs).changes,
      offendersDeleted: this.deleteOffenders.run(now - r.offendersMs).changes,
      bansDeleted: this.bans.deleteEnded(now - r.offendersMs),
    }))();
    // deleted offenders must not live on in memory: the cache horizon is never longer than the table's
    const evicted = this.offenders.evictIdle(now - Math.min(r.idleMs, r.offendersMs));
    return { ...result, evicted };
  }

  /** The saved position of one source (key chosen by the reader, e.g. "file:/var/log/auth.log"). */
  positionStore(key: string): PositionStore {
    return this.positions.store(key);
  }

  /** One offender as stored (reports, tests); undefined when never seen or already forgotten. */
  offender(ip: string): OffenderRecord | undefined {
    const host = hostAddress(ip);
    return host && this.offenders.get(host.addr, host)?.record();
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
