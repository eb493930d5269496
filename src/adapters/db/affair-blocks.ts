// The affair_blocks table of one module database: the recorder's blocks are appended (one per batch),
// expiry deletes whole blocks in id (arrival) order, and an operator's forget rewrites the blocks that
// hold the address. Statements are prepared once; opens no transaction.
import type Database from 'better-sqlite3';
import { BlockEncoder, BlockReader, type BlockValues } from './affair-block.js';

interface BlockRow extends BlockValues {
  id: number;
}

export class AffairBlocks {
  private readonly insert: Database.Statement<[BlockValues]>;
  private readonly cutAt: Database.Statement<[number], number>;
  private readonly countBelow: Database.Statement<[number], number>;
  private readonly deleteBelowId: Database.Statement<[number]>;
  private readonly scan: Database.Statement<[number, number], BlockRow>;
  private readonly update: Database.Statement<[BlockValues & { id: number }]>;
  private readonly deleteOne: Database.Statement<[number]>;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO affair_blocks (base_time, min_time, max_time, affairs, strings, data) VALUES (@base_time, @min_time, @max_time, @affairs, @strings, @data)',
    );
    // the first block still holding an affair young enough: it and every later one stay (no time index
    // on the hot path; a late line with an old time just waits for its neighbours)
    this.cutAt = db
      .prepare<[number], number>(
        'SELECT coalesce((SELECT id FROM affair_blocks WHERE max_time >= ? ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM affair_blocks), 0)',
      )
      .pluck();
    this.countBelow = db.prepare<[number], number>('SELECT coalesce(sum(affairs), 0) FROM affair_blocks WHERE id < ?').pluck();
    this.deleteBelowId = db.prepare<[number]>('DELETE FROM affair_blocks WHERE id < ?');
    this.scan = db.prepare<[number, number], BlockRow>('SELECT * FROM affair_blocks WHERE id > ? ORDER BY id LIMIT ?');
    this.update = db.prepare(
      'UPDATE affair_blocks SET base_time = @base_time, min_time = @min_time, max_time = @max_time, affairs = @affairs, strings = @strings, data = @data WHERE id = @id',
    );
    this.deleteOne = db.prepare<[number]>('DELETE FROM affair_blocks WHERE id = ?');
  }

  /** Stores the block `enc` holds, if any, and starts its next one. */
  write(enc: BlockEncoder): void {
    const block = enc.take();
    if (block !== undefined) this.insert.run(block);
  }

  /** The first block id expiry keeps for the cutoff time `before` (every smaller id goes). */
  cut(before: number): number {
    return this.cutAt.get(before) ?? 0;
  }

  /** Deletes the blocks below `cutId`; returns how many affairs went with them. */
  deleteBelow(cutId: number): number {
    const n = this.countBelow.get(cutId) ?? 0;
    this.deleteBelowId.run(cutId);
    return n;
  }

  /**
   * Deletes every affair of one address (`v4`: its unsigned number, or -1 and `text` its canonical form)
   * by rewriting the blocks that hold it; returns how many. A scan of every block, a page at a time.
   */
  forget(v4: number, text: string): number {
    let removed = 0;
    const enc = new BlockEncoder();
    for (let after = 0; ; ) {
      const page = this.scan.all(after, 256);
      if (page.length === 0) return removed;
      after = page[page.length - 1]!.id;
      for (const b of page) {
        const r = new BlockReader(b.data, b.strings, b.base_time);
        let hits = 0;
        while (r.next()) {
          if (v4 >= 0 ? r.v4 === v4 : r.v4 < 0 && r.text === text) hits++;
          else enc.add(r.v4, r.text, r.time, r.kind, r.user, r.vhost);
        }
        if (hits === 0) {
          enc.reset();
          continue;
        }
        const rest = enc.take();
        removed += hits;
        if (rest === undefined) this.deleteOne.run(b.id);
        else this.update.run({ ...rest, id: b.id });
      }
    }
  }
}
