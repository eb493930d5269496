// One module's SQLite database (WAL): affairs, offenders, bans and source positions. Opened and written
// only by that module's actor; every batch of detections is one transaction, bans are written pending.
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

export interface OpenOptions {
  /** for the saved-at time of source positions; tests pass a fixed one */
  clock?: () => number;
}

export class ModuleDb {
  private readonly offenders: OffenderBook;
  private readonly bans: BanTable;
  private readonly positions: PositionTable;
  private readonly deleteAffairs: Database.Statement<[number]>;
  private readonly deleteOffenders: Database.Statement<[number]>;
  private readonly batchTx: (detections: readonly Detection[], ctx: BatchContext, at: PositionAt | undefined) => BatchResult;
  private readonly dnsTx: (ip: string, cls: DnsClass, ctx: PolicyContext) => BanRow[];

  private constructor(
    private readonly db: Database.Database,
    readonly module: ModuleName,
    readonly file: string,
    clock: () => number,
  ) {
    this.offenders = new OffenderBook(db);
    this.bans = new BanTable(db);
    this.positions = new PositionTable(db, clock);
    const recorder = new AffairRecorder(db, this.offenders, this.bans, this.positions);
    // affairs go in id (arrival) order up to the first one still young enough: no time index on the hot
    // path, and a late line with an old time just waits for its neighbours
    this.deleteAffairs = db.prepare(
      `DELETE FROM affairs WHERE id < coalesce((SELECT id FROM affairs WHERE time >= ? ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM affairs))`,
    );
    this.deleteOffenders = db.prepare(
      `DELETE FROM offenders WHERE last_seen < ? AND (ban_id IS NULL OR NOT EXISTS
         (SELECT 1 FROM bans b WHERE b.id = offenders.ban_id AND b.state IN ('pending', 'active')))`,
    );
    this.batchTx = this.guarded(db.transaction((d: readonly Detection[], c: BatchContext, at: PositionAt | undefined) => recorder.batch(d, c, at)));
    this.dnsTx = this.guarded(db.transaction((ip: string, cls: DnsClass, c: PolicyContext) => recorder.reclassify(ip, cls, c)));
  }

  /**
   * Opens (creating and migrating as needed) the database of `module` at `file` (":memory:" for tests).
   * Throws WatcherError when the file belongs to another module or to a newer Watcher.
   */
  static open(file: string, module: ModuleName, opts: OpenOptions = {}): ModuleDb {
    return new ModuleDb(openModuleFile(file, module), module, file, opts.clock ?? Date.now);
  }

  /**
   * The hot path: records a batch of detections in ONE transaction: each affair, its offender, and a
   * pending ban (plus a subnet ban) where the policy says so. When `at` is given, the reader's position
   * after these lines is saved in the same transaction: after a crash a line is either counted and behind
   * the saved position, or neither. Throws (and changes nothing) when SQLite fails.
   */
  recordBatch(detections: readonly Detection[], ctx: BatchContext, at?: PositionAt): BatchResult {
    return this.batchTx(detections, ctx, at);
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
    const canonical = formatIp(r.ip);
    const rows = this.db.transaction(() => this.bans.remove(canonical))();
    this.offenders.forget(canonical);
    return rows;
  }

  /** Ages out bans, affairs and offenders at `now`; returns the bans whose entries must be deleted. */
  expire(now: number, retention: Partial<Retention> = {}): ExpireResult {
    const r = { ...DEFAULT_RETENTION, ...retention };
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
    return host && this.offenders.get(host.addr, host);
  }

  ban(id: number): BanRow | undefined {
    return this.bans.get(id);
  }

  /** Offenders held in memory. */
  get cachedOffenders(): number {
    return this.offenders.size;
  }

  close(): void {
    this.db.close();
  }

  // A rollback must also throw away the offender memory the transaction had changed.
  private guarded<A extends unknown[], R>(tx: (...args: A) => R): (...args: A) => R {
    return (...args: A): R => {
      let result: R;
      try {
        result = tx(...args);
      } catch (e) {
        this.offenders.rolledBack();
        throw e;
      }
      this.offenders.committed();
      return result;
    };
  }
}
