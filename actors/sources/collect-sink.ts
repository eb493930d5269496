// A LineSink that keeps everything it gets, with waits on counts: for tools that read a source to
// its end and for tests. Holds every line in memory: never use it on the daemon's hot path.
import type { LineSink } from './source.js';

export class CollectSink implements LineSink {
  readonly lines: string[] = [];
  readonly batches: number[] = [];
  /** each batch's `more` (see LineSink) */
  readonly more: boolean[] = [];
  readonly notices: string[] = [];
  readonly errors: Error[] = [];
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  onLines(lines: string[], more = false): void {
    for (const l of lines) this.lines.push(l);
    this.batches.push(lines.length);
    this.more.push(more);
    this.wake();
  }

  onError(err: Error): void {
    this.errors.push(err);
    this.wake();
  }

  onNotice(msg: string): void {
    this.notices.push(msg);
    this.wake();
  }

  /** Resolves when done() holds (checked after every callback); rejects after timeoutMs. */
  until(done: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.lines.length} lines so far)`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Resolves once at least n lines arrived in total. */
  untilLines(n: number, timeoutMs = 5000): Promise<void> {
    return this.until(() => this.lines.length >= n, timeoutMs, `${n} lines`);
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.done());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}
