// Lines from any Readable (process.stdin, a socket, an injector): the stream's chunks through the
// splitter. Never destroys a stream it was given unless told to (stdin belongs to the process).
import type { Readable } from 'node:stream';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from '../../src/core/lines/splitter.js';
import { asError, type LineSink, type Source } from './source.js';

export interface StreamSourceOptions {
  stream: Readable;
  /** identity for fan-out and status, e.g. "stdin" */
  id?: string;
  maxLineBytes?: number;
  /** destroy the stream on stop (default: only pause it and let go) */
  destroyOnStop?: boolean;
}

/** ended: the stream finished normally (its partial last line was delivered as a line). */
type StreamState = 'idle' | 'reading' | 'ended' | 'failed' | 'stopped';

export class StreamSource implements Source<LineSink> {
  readonly id: string;
  private readonly stream: Readable;
  private readonly splitter: LineSplitter;
  private readonly destroyOnStop: boolean;
  private state: StreamState = 'idle';
  private sink: LineSink | null = null;
  private lines = 0;
  private cut = 0;
  private bytes = 0;
  private settle: () => void = () => undefined;
  /** Resolves when the stream has ended, failed, or the source was stopped. */
  readonly done: Promise<void>;

  private readonly onData = (chunk: Buffer | string): void => this.handle(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  private readonly onEnd = (): void => this.finish();
  private readonly onStreamError = (err: Error): void => this.fail(err);

  constructor(opts: StreamSourceOptions) {
    this.stream = opts.stream;
    this.id = `stream:${opts.id ?? 'anonymous'}`;
    this.splitter = new LineSplitter({ maxLineBytes: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES });
    this.destroyOnStop = opts.destroyOnStop ?? false;
    this.done = new Promise((resolve) => (this.settle = resolve));
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
  get status(): StreamState {
    return this.state;
  }

  async start(sink: LineSink): Promise<void> {
    if (this.state !== 'idle') throw new Error(`${this.id} can be started once (a stream is read once)`);
    this.sink = sink;
    this.state = 'reading';
    this.stream.on('data', this.onData);
    this.stream.once('end', this.onEnd);
    this.stream.on('error', this.onStreamError);
  }

  async stop(): Promise<void> {
    if (this.state !== 'reading') return;
    this.state = 'stopped';
    this.detach();
    if (this.destroyOnStop) this.stream.destroy();
    else this.stream.pause();
    this.settle();
  }

  private handle(chunk: Buffer): void {
    if (this.state !== 'reading') return;
    this.bytes += chunk.length;
    const before = this.splitter.linesCut;
    this.deliver(this.splitter.push(chunk), this.splitter.linesCut - before);
  }

  private finish(): void {
    if (this.state !== 'reading') return;
    if (!this.deliver(this.splitter.flush(), 0)) return;
    this.state = 'ended';
    this.detach();
    this.notice(`${this.id}: end of input`);
    this.settle();
  }

  private deliver(lines: string[], cut: number): boolean {
    if (cut > 0) {
      this.cut += cut;
      this.notice(`${cut} line(s) over ${this.splitter.maxLineBytes} bytes cut in ${this.id}`);
    }
    if (lines.length === 0) return true;
    try {
      this.sink?.onLines(lines);
    } catch (err) {
      this.fail(err);
      return false;
    }
    this.lines += lines.length;
    return true;
  }

  private detach(): void {
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('error', this.onStreamError);
  }

  private notice(msg: string): void {
    try {
      this.sink?.onNotice(msg);
    } catch {
      // informational only
    }
  }

  private fail(err: unknown): void {
    if (this.state !== 'reading') return;
    this.state = 'failed';
    this.detach();
    // A late error from the stream after we let go must not become an uncaught exception.
    this.stream.on('error', () => undefined);
    try {
      this.sink?.onError(asError(err));
    } catch {
      // nothing left to report to
    }
    this.settle();
  }
}
