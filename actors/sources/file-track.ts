// One open log file being read from a byte offset through its own splitter. Reads only when asked
// and decides nothing about rotation or truncation (the file source does); never throws ENOENT.
import type { FileHandle } from 'node:fs/promises';
import { LineSplitter } from '../../src/core/lines/splitter.js';
import { firstLineHash, HEAD_BYTES } from './position.js';

export interface TrackRead {
  /** bytes read by this call (0 at the end of the file) */
  bytes: number;
  lines: string[];
  /** lines cut by this call */
  cut: number;
}

export class FileTrack {
  /** hash of the file's first line once known (see position.ts) */
  hash: string | null = null;
  private splitter: LineSplitter;
  private base = 0;
  private readOffset = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly inode: number,
    private readonly maxLineBytes: number,
  ) {
    this.splitter = new LineSplitter({ maxLineBytes });
  }

  /** Offset just after the last complete line read: where a restart must resume. */
  get committed(): number {
    return this.base + this.splitter.consumedBytes;
  }

  /** Offset of the next read. */
  get readAt(): number {
    return this.readOffset;
  }

  /** Reads from offset on with a fresh splitter (a partial line in progress is dropped). */
  startAt(offset: number): void {
    this.splitter = new LineSplitter({ maxLineBytes: this.maxLineBytes });
    this.base = offset;
    this.readOffset = offset;
  }

  async read(buf: Buffer): Promise<TrackRead> {
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.readOffset);
    if (bytesRead === 0) return { bytes: 0, lines: [], cut: 0 };
    this.readOffset += bytesRead;
    const cutBefore = this.splitter.linesCut;
    const lines = this.splitter.push(buf.subarray(0, bytesRead));
    return { bytes: bytesRead, lines, cut: this.splitter.linesCut - cutBefore };
  }

  /** The partial last line as a line: for a file that will not grow any more. */
  flush(): string[] {
    return this.splitter.flush();
  }

  /** Reads the first line's hash from the file (null while the first line is incomplete). */
  async readHeadHash(): Promise<string | null> {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await this.fh.read(head, 0, HEAD_BYTES, 0);
    return firstLineHash(head.subarray(0, bytesRead));
  }

  /**
   * Offset just after the last newline in the file's last `window` bytes: 0 for a file that is one
   * partial line, its size when the window holds no newline (a line over the window is joined midway).
   */
  async endOfLastLine(size: number, window = 64 * 1024): Promise<number> {
    if (size === 0) return 0;
    const from = Math.max(0, size - window);
    const tail = Buffer.alloc(size - from);
    const { bytesRead } = await this.fh.read(tail, 0, tail.length, from);
    const nl = tail.subarray(0, bytesRead).lastIndexOf(10);
    if (nl >= 0) return from + nl + 1;
    return from === 0 ? 0 : size;
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
