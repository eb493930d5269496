// Reads lines from a named pipe fed by rsyslog or syslog-ng. Holds a write end itself so a writer
// closing and reopening (syslog restart) never ends the stream, and reads through a libuv pipe
// (epoll), never the fs thread pool: an absent or slow writer can never block the daemon.
import { open, constants, fstat, stat } from 'node:fs';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from '../../src/core/lines/splitter.js';
import { ensureFifo } from './fifo-make.js';
import { asError, type LineSink, type Source } from './source.js';

export interface FifoSourceOptions {
  path: string;
  maxLineBytes?: number;
  /** how often to check that the path still is the FIFO being read (ms) */
  checkMs?: number;
}

/** reopening: the FIFO at the path was removed or replaced; the new one is being opened. */
type FifoState = 'idle' | 'reading' | 'reopening' | 'failed' | 'stopped';

const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const statAsync = promisify(stat);

export class FifoSource implements Source<LineSink> {
  readonly id: string;
  readonly path: string;
  private readonly maxLineBytes: number;
  private readonly checkMs: number;
  private state: FifoState = 'idle';
  private sink: LineSink | null = null;
  private socket: Socket | null = null;
  private inode = 0;
  private splitter: LineSplitter;
  private timer: NodeJS.Timeout | null = null;
  private lines = 0;
  private cut = 0;
  private bytes = 0;

  constructor(opts: FifoSourceOptions) {
    this.path = resolve(opts.path);
    this.id = `fifo:${this.path}`;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.checkMs = opts.checkMs ?? 1000;
    this.splitter = new LineSplitter({ maxLineBytes: this.maxLineBytes });
  }

  get linesRead(): number {
    return this.lines;
  }
  get linesCut(): number {
    return this.cut;
  }
  get bytesRead(): number {
    return this.bytes;
  }
  get status(): FifoState {
    return this.state;
  }

  /** Creates the FIFO if needed and starts reading; rejects (WATCHER_E_IO) if the path is not a FIFO. */
  async start(sink: LineSink): Promise<void> {
    if (this.state === 'reading' || this.state === 'reopening') throw new Error(`${this.id} already started`);
    this.sink = sink;
    this.state = 'reading';
    try {
      await this.attach();
    } catch (err) {
      this.state = 'failed';
      throw asError(err);
    }
    this.timer = setInterval(() => void this.check(), this.checkMs);
  }

  async stop(): Promise<void> {
    if (this.state !== 'reading' && this.state !== 'reopening') return;
    this.state = 'stopped';
    this.halt();
    await this.detach();
  }

  /** Opens the FIFO read-write (Linux allows it on FIFOs): being a writer ourselves, EOF never comes. */
  private async attach(): Promise<void> {
    this.inode = await ensureFifo(this.path, (m) => this.notice(m));
    const fd = await openAsync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    const st = await fstatAsync(fd);
    this.inode = st.ino;
    this.splitter = new LineSplitter({ maxLineBytes: this.maxLineBytes });
    const socket = new Socket({ fd, readable: true, writable: false });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => void this.reopen('the FIFO reported end of input'));
    socket.on('error', (err) => this.fail(err));
    this.socket = socket;
  }

  private detach(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket === null || socket.destroyed) return Promise.resolve();
    return new Promise((done) => {
      socket.once('close', () => done());
      socket.removeAllListeners('data');
      socket.removeAllListeners('end');
      socket.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    if (this.state !== 'reading') return;
    this.bytes += chunk.length;
    const before = this.splitter.linesCut;
    const lines = this.splitter.push(chunk);
    const cut = this.splitter.linesCut - before;
    if (cut > 0) {
      this.cut += cut;
      this.notice(`${cut} line(s) over ${this.maxLineBytes} bytes cut in ${this.path}`);
    }
    if (lines.length === 0) return;
    try {
      this.sink?.onLines(lines);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.lines += lines.length;
  }

  /** The path must still be the FIFO we read; writers open the path, so a new one there gets the lines. */
  private async check(): Promise<void> {
    if (this.state !== 'reading') return;
    try {
      const st = await statAsync(this.path);
      if (st.ino === this.inode && st.isFIFO()) return;
      await this.reopen(`${this.path} was replaced`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') await this.reopen(`${this.path} was removed`);
      else this.fail(err);
    }
  }

  private async reopen(why: string): Promise<void> {
    if (this.state !== 'reading') return;
    this.state = 'reopening';
    this.notice(`${why}: reopening it`);
    try {
      await this.detach();
      if (this.state !== 'reopening') return;
      await this.attach();
      if (this.state !== 'reopening') {
        await this.detach();
        return;
      }
      this.state = 'reading';
    } catch (err) {
      this.state = 'reading'; // so that fail() applies
      this.fail(err);
    }
  }

  private notice(msg: string): void {
    try {
      this.sink?.onNotice(msg);
    } catch {
      // informational only
    }
  }

  private fail(err: unknown): void {
    if (this.state !== 'reading' && this.state !== 'reopening') return;
    this.state = 'failed';
    this.halt();
    void this.detach();
    try {
      this.sink?.onError(asError(err));
    } catch {
      // nothing left to report to
    }
  }

  private halt(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
