// The long-lived interactive `ipset -` process for live bans: each line is applied as soon as it is read.
// Owns that one child process; never runs anything but add/del lines and its own fence lines.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Exec } from '../../src/adapters/exec.js';
import { WatcherError } from '../../src/core/errors.js';
import { SerialQueue } from './ipset-queue.js';
import { fixFor } from './ipset-run.js';

/** A batch waiting for its fence. */
interface Waiter {
  fence: string;
  errors: string[];
  resolve: () => void;
  reject: (e: WatcherError) => void;
  timer: NodeJS.Timeout;
}

/** One running `ipset -` child with its stderr line buffer and the batch it is working on. */
interface Live {
  child: ChildProcessWithoutNullStreams;
  partial: string;
  waiter: Waiter | null;
  stderrTail: string;
  exited: Promise<void>;
}

/**
 * How a batch is acknowledged (measured with ipset 7.17): the "ipset> " prompt ipset prints after each
 * line is block-buffered stdio when stdout is a pipe, so it only arrives at exit; errors go unbuffered to
 * stderr at once ("ipset v7.17: The set with the given name does not exist"). So every batch ends with a
 * fence line, `test wt-fence-<n>-xxx… 0.0.0.0`, whose name is too long: ipset rejects it while parsing,
 * without a kernel round trip, with a message naming it ("Syntax error: setname 'wt-fence-…' is longer
 * than 31 characters"). Lines run strictly in order, so the fence's message acknowledges every line before
 * it, and any other stderr line before it is an error of this batch: one stream, no timing assumptions.
 */
export class IpsetSession {
  private live: Live | null = null;
  private seq = 0;
  /** batches run one after another; each waits for the previous one's fence */
  private readonly queue = new SerialQueue();

  constructor(
    private readonly exec: Exec,
    private readonly log: (msg: string) => void = () => undefined,
    private readonly timeoutMs = 5_000,
  ) {}

  /** Applies the lines; resolves when ipset has processed all of them without an error. */
  run(lines: readonly string[]): Promise<void> {
    return this.queue.run(() => this.runNow(lines));
  }

  /** Starts the process ahead of the first batch, so the first live ban does not wait for a spawn. */
  warm(): Promise<void> {
    return this.queue.run(async () => {
      if (!this.live) this.start();
    });
  }

  /** Ends the process: EOF on stdin makes ipset exit; killed if it does not within a second. */
  close(): Promise<void> {
    return this.queue.run(async () => {
      const live = this.live;
      if (!live) return;
      this.live = null;
      live.child.stdin.end();
      const timer = setTimeout(() => live.child.kill('SIGKILL'), 1_000);
      await live.exited;
      clearTimeout(timer);
    });
  }

  private runNow(lines: readonly string[]): Promise<void> {
    const live = this.live ?? this.start();
    // Longer than 31 characters on purpose: the parse error is the acknowledgement (see the class comment).
    const fence = `wt-fence-${++this.seq}-`.padEnd(40, 'x');
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(live, `no acknowledgement within ${this.timeoutMs} ms`), this.timeoutMs);
      live.waiter = { fence, errors: [], resolve, reject, timer };
      live.child.stdin.write(`${lines.join('\n')}\ntest ${fence} 0.0.0.0\n`);
    });
  }

  private start(): Live {
    const child = this.exec.spawnPersistent('ipset', ['-']);
    const live: Live = {
      child,
      partial: '',
      waiter: null,
      stderrTail: '',
      exited: new Promise<void>((resolve) => child.once('close', () => resolve())),
    };
    this.live = live;
    // Prompts pile up in the stdout pipe; read and drop them so ipset never blocks on a full pipe.
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (b: Buffer) => this.onStderr(live, b.toString('utf8')));
    child.stdin.on('error', () => undefined); // EPIPE when ipset died; 'close' reports it
    child.on('error', (e) => this.fail(live, String(e), (e as NodeJS.ErrnoException).code === 'ENOENT'));
    child.on('close', (code, signal) => {
      const tail = (live.stderrTail + live.partial).trim();
      const missing = /exec of ".*" failed: No such file or directory/.test(tail);
      this.fail(live, `ipset - exited (${signal ?? code})${tail ? ': ' + tail : ''}`, missing);
    });
    return live;
  }

  private onStderr(live: Live, text: string): void {
    const parts = (live.partial + text).split('\n');
    live.partial = parts.pop() ?? '';
    for (const line of parts) {
      const w = live.waiter;
      if (w && line.includes(w.fence)) {
        if (w.errors.length === 0) {
          this.settle(live);
          w.resolve();
        } else {
          this.fail(live, w.errors.join('; '));
        }
        continue;
      }
      // Kept for the exit message: why the process ended (e.g. `ip netns exec` could not start ipset).
      live.stderrTail = (live.stderrTail + line + '\n').slice(-2_000);
      if (line.startsWith('Warning:') || !w) this.log(`ipset -: ${line}`);
      else if (line.trim() !== '') w.errors.push(line.trim());
    }
  }

  private settle(live: Live): Waiter | null {
    const w = live.waiter;
    if (w) clearTimeout(w.timer);
    live.waiter = null;
    return w;
  }

  /**
   * Rejects the batch and drops the process. After a failed batch a fresh process starts at once, so the
   * caller's retry meets a ready session; a process that dies while idle is replaced lazily by the next
   * batch (never in a loop: a vanished namespace would otherwise respawn forever).
   */
  private fail(live: Live, why: string, missing = false): void {
    const w = this.settle(live);
    const current = this.live === live;
    if (current) {
      this.live = null;
      live.child.kill('SIGKILL');
      if (w && !missing) this.start();
    }
    if (w) {
      w.reject(
        missing
          ? new WatcherError('WATCHER_E_FW_MISSING', 'ipset is not installed', { hint: fixFor('ipset') })
          : new WatcherError('WATCHER_E_FW_COMMAND', `ipset - batch failed: ${why}`),
      );
    } else if (current) {
      this.log(`ipset - session ended while idle: ${why}`);
    }
  }
}
