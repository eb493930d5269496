// History that outlives retention: before ModuleDb.expire deletes affairs, offenders and ended bans, it
// adds exactly those rows (and blocks of affairs) to hourly rollups (migration 4), in the same
// transaction, using the very predicates the deletes use. So every row is counted once: in its table or in a rollup. Never reads the clock.
import type Database from 'better-sqlite3';

/** Offenders that expiry deletes: not seen since `?` and not currently banned. */
export const OFFENDERS_GONE = `last_seen < ? AND (ban_id IS NULL OR NOT EXISTS
  (SELECT 1 FROM bans b WHERE b.id = offenders.ban_id AND b.state IN ('pending', 'active')))`;

/** Ended bans that expiry deletes: ended (by until, or since) before `?`. */
export const BANS_GONE = `state IN ('expired', 'removed') AND coalesce(until, since) < ?`;

const HOUR = `(%s - %s %% 3600000)`;
const hourOf = (col: string): string => HOUR.replaceAll('%s', col).replace('%%', '%');

export class Rollup {
  private readonly affairs;
  private readonly offenders;
  private readonly bans;
  private readonly endings;

  constructor(db: Database.Database) {
    // the affairs of the blocks expiry deletes (below a cut id, see AffairBlocks.cut), unpacked
    this.affairs = db.prepare<[number]>(
      `INSERT INTO affair_hours (hour, event, rule, vhost, affairs, weight)
         SELECT ${hourOf('a.time')} AS h, k.event, k.rule, coalesce(a.vhost, ''), count(*), sum(k.weight)
         FROM affair_blocks b
           CROSS JOIN affair_block_rows(b.data, b.strings, b.base_time) a
           CROSS JOIN affair_kinds k ON k.id = a.kind
         WHERE b.id < ?
         GROUP BY h, k.event, k.rule, coalesce(a.vhost, '') ORDER BY 1, 2, 3, 4
       ON CONFLICT (hour, event, rule, vhost) DO UPDATE SET affairs = affairs + excluded.affairs, weight = weight + excluded.weight`,
    );
    this.offenders = db.prepare<[number]>(
      `INSERT INTO offender_hours (hour, dns_class, offenders)
         SELECT ${hourOf('first_seen')} AS h, dns_class, count(*) FROM offenders WHERE ${OFFENDERS_GONE}
         GROUP BY h, dns_class ORDER BY 1, 2
       ON CONFLICT (hour, dns_class) DO UPDATE SET offenders = offenders + excluded.offenders`,
    );
    this.bans = db.prepare<[number]>(
      `INSERT INTO ban_hours (hour, kind, bans)
         SELECT ${hourOf('since')} AS h, 'ban', count(*) FROM bans WHERE ${BANS_GONE} GROUP BY h ORDER BY 1
       ON CONFLICT (hour, kind) DO UPDATE SET bans = bans + excluded.bans`,
    );
    this.endings = db.prepare<[number]>(
      `INSERT INTO ban_hours (hour, kind, bans)
         SELECT ${hourOf('coalesce(ended, until, since)')} AS h, CASE state WHEN 'removed' THEN 'unban' ELSE 'expiry' END AS k, count(*)
         FROM bans WHERE ${BANS_GONE} GROUP BY h, k ORDER BY 1, 2
       ON CONFLICT (hour, kind) DO UPDATE SET bans = bans + excluded.bans`,
    );
  }

  /** Adds the affairs of the blocks below `cutId` to affair_hours; call right before deleting them. */
  affairsBelow(cutId: number): void {
    this.affairs.run(cutId);
  }

  /** Adds the offenders OFFENDERS_GONE selects for `before` to offender_hours. */
  offendersBefore(before: number): void {
    this.offenders.run(before);
  }

  /** Adds the bans BANS_GONE selects for `before` to ban_hours (the ban, and its expiry or unban). */
  bansBefore(before: number): void {
    this.bans.run(before);
    this.endings.run(before);
  }
}
