// Where a source keeps what it must remember across restarts (file position, journal cursor): an
// in-memory and a JSON-file store. The module database provides the production store; none throws
// on a missing file, and the JSON store never leaves a half-written file behind.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One remembered value. save is synchronous: a source calls it right after a batch is handled. */
export interface ValueStore<T> {
  load(): T | null;
  save(value: T): void;
}

export class MemoryStore<T> implements ValueStore<T> {
  private value: T | null;
  /** every value saved, oldest first (tests inspect it) */
  readonly saves: T[] = [];

  constructor(initial: T | null = null) {
    this.value = initial;
  }

  load(): T | null {
    return this.value;
  }

  save(value: T): void {
    this.value = value;
    this.saves.push(value);
  }
}

/** A JSON file written atomically (temporary file + rename). */
export class JsonFileStore<T> implements ValueStore<T> {
  constructor(readonly path: string) {}

  load(): T | null {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return JSON.parse(text) as T;
  }

  save(value: T): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, this.path);
  }
}
