// Prompt change events for files in one directory (inotify through fs.watch). Only a hint: events
// can be missed or the watch can die, so owners also poll. Never throws; never reads a file.
import { watch, type FSWatcher } from 'node:fs';

type WatchState = 'unarmed' | 'armed' | 'closed';

export class DirWatch {
  private state: WatchState = 'unarmed';
  private watcher: FSWatcher | null = null;

  /** onEvent gets the file name the event is about (null when the kernel did not say). */
  constructor(
    private readonly dir: string,
    private readonly onEvent: (name: string | null) => void,
  ) {}

  /** Starts watching if not already; a missing directory leaves it unarmed (call again later). */
  arm(): void {
    if (this.state !== 'unarmed') return;
    try {
      const w = watch(this.dir, { persistent: false }, (_kind, name) => this.onEvent(name === null ? null : String(name)));
      // A dead watch (directory removed, inotify limit) falls back to polling until re-armed.
      w.on('error', () => this.disarm());
      this.watcher = w;
      this.state = 'armed';
    } catch {
      this.state = 'unarmed';
    }
  }

  get armed(): boolean {
    return this.state === 'armed';
  }

  close(): void {
    this.disarm();
    this.state = 'closed';
  }

  private disarm(): void {
    const w = this.watcher;
    this.watcher = null;
    if (this.state === 'armed') this.state = 'unarmed';
    try {
      w?.close();
    } catch {
      // already closed
    }
  }
}
