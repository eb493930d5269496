// A simple FIFO reader for the lab tests (not Watcher's): opens a module FIFO read-write (Linux
// allows it; EOF never comes when rsyslog reopens), collects lines, and waits for matches.
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { sleep } from './e2e-proc.js';
import type { Scope } from './e2e-scope.js';

export class FifoReader {
  readonly lines: string[] = [];
  private partial = '';
  private readonly socket: Socket;

  constructor(readonly path: string, scope: Scope) {
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    });
    this.socket.on('error', () => undefined);
    scope.teardown(() => this.close());
  }

  /** Lines read so far that match re. */
  matching(re: RegExp): string[] {
    const g = new RegExp(re.source, re.flags.replace('g', ''));
    return this.lines.filter((l) => g.test(l));
  }

  /** Resolves with the matching lines once there are at least count (default 1) of them. */
  async waitFor(re: RegExp, opts: { count?: number; timeoutMs?: number } = {}): Promise<string[]> {
    const count = opts.count ?? 1;
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    for (;;) {
      const hits = this.matching(re);
      if (hits.length >= count) return hits;
      if (Date.now() > deadline) {
        throw new Error(`${this.path}: ${hits.length} of ${count} lines matching ${re} within ${opts.timeoutMs ?? 10_000} ms; last lines:\n${this.lines.slice(-30).join('\n')}`);
      }
      await sleep(50);
    }
  }

  /** Marks a position: lines after it are what `since(mark)` returns. */
  mark(): number {
    return this.lines.length;
  }

  since(mark: number): string[] {
    return this.lines.slice(mark);
  }

  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }
}
