// The dictionary of affair kinds (rule, event, weight) -> small integer, so an affair row carries one
// integer instead of two strings and a weight. Ids are remembered in memory; a new kind is inserted
// inside the caller's transaction, and forgotten again when that transaction rolls back.
import type Database from 'better-sqlite3';

interface Known {
  readonly event: string;
  readonly weight: number;
  readonly id: number;
}

export class AffairKinds {
  // by rule id: the kinds seen for it (one, unless a reload changed its event or weight)
  private readonly byRule = new Map<string, Known[]>();
  private readonly find: Database.Statement<[string, string, number], number>;
  private readonly insert: Database.Statement<[string, string, number]>;

  constructor(db: Database.Database) {
    this.find = db.prepare<[string, string, number], number>('SELECT id FROM affair_kinds WHERE rule = ? AND event = ? AND weight = ?').pluck();
    this.insert = db.prepare<[string, string, number]>('INSERT INTO affair_kinds (rule, event, weight) VALUES (?, ?, ?)');
  }

  /** The kind's id, inserted when new (inside the caller's transaction). */
  id(rule: string, event: string, weight: number): number {
    const list = this.byRule.get(rule);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const k = list[i]!;
        if (k.event === event && k.weight === weight) return k.id;
      }
    }
    return this.learn(rule, event, weight);
  }

  /** The transaction rolled back: ids learned in it may not exist. */
  forget(): void {
    this.byRule.clear();
  }

  private learn(rule: string, event: string, weight: number): number {
    const id = this.find.get(rule, event, weight) ?? Number(this.insert.run(rule, event, weight).lastInsertRowid);
    const list = this.byRule.get(rule) ?? [];
    list.push({ event, weight, id });
    this.byRule.set(rule, list);
    return id;
  }
}
