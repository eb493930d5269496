// Where a log reader stopped in one source (file: inode, offset, first line hash; journald: cursor), kept
// in the module database so that a restart resumes without losing or double-counting a line.
import type Database from 'better-sqlite3';

export interface SourcePosition {
  /** the file's inode when the position was saved; null for journald */
  inode: number | null;
  /** bytes consumed (complete lines only) */
  offset: number;
  /** hash of the file's first line: tells a rotated-and-recreated file from the same inode reused */
  firstLineHash: string | null;
  /** journald: the cursor of the last entry consumed (for --after-cursor) */
  journalCursor: string | null;
}

export interface PositionStore {
  /** the saved position, or undefined when this source was never read (start at the end) */
  load(): SourcePosition | undefined;
  save(position: SourcePosition): void;
}

interface PositionRecord {
  inode: number | null;
  offset: number;
  first_line_hash: string | null;
  journal_cursor: string | null;
}

/** Prepared statements shared by every source of one database. */
export class PositionTable {
  private readonly select: Database.Statement<[string], PositionRecord>;
  private readonly upsert: Database.Statement<[string, number | null, number, string | null, string | null, number]>;

  constructor(db: Database.Database, private readonly clock: () => number) {
    this.select = db.prepare('SELECT inode, offset, first_line_hash, journal_cursor FROM source_positions WHERE key = ?');
    this.upsert = db.prepare(
      `INSERT INTO source_positions (key, inode, offset, first_line_hash, journal_cursor, saved) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET inode = excluded.inode, offset = excluded.offset,
         first_line_hash = excluded.first_line_hash, journal_cursor = excluded.journal_cursor, saved = excluded.saved`,
    );
  }

  load(key: string): SourcePosition | undefined {
    const r = this.select.get(key);
    return r && { inode: r.inode, offset: r.offset, firstLineHash: r.first_line_hash, journalCursor: r.journal_cursor };
  }

  save(key: string, p: SourcePosition): void {
    this.upsert.run(key, p.inode, p.offset, p.firstLineHash, p.journalCursor, this.clock());
  }

  store(key: string): PositionStore {
    return { load: () => this.load(key), save: (p) => this.save(key, p) };
  }
}
