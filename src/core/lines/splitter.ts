// Owns cutting a byte stream into complete text lines: a partial last line waits for its newline,
// lines over the limit are cut and counted, CRLF is handled, invalid UTF-8 becomes U+FFFD.
// Pure (no I/O, no clock); never keeps a reference to a caller's buffer, since readers reuse them.

/** Lines longer than this many bytes (without their newline) are cut to this many. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = 10;
const CR = 13;

/** What the bytes after the last newline are: the start of a line, or the discarded tail of a cut one. */
type PartialState = 'collecting' | 'cutting';

export class LineSplitter {
  readonly maxLineBytes: number;
  private readonly partial: Buffer;
  private partialLen = 0;
  private partialState: PartialState = 'collecting';
  private fed = 0;
  private consumed = 0;
  private cut = 0;

  constructor(opts: { maxLineBytes?: number } = {}) {
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!(this.maxLineBytes >= 1)) throw new RangeError('maxLineBytes must be at least 1');
    this.partial = Buffer.allocUnsafe(this.maxLineBytes);
  }

  /** Bytes of complete lines (newlines and discarded tails included) since this splitter was made. */
  get consumedBytes(): number {
    return this.consumed;
  }

  /** Bytes fed but not yet part of a complete line (the partial last line, discarded tail included). */
  get heldBytes(): number {
    return this.fed - this.consumed;
  }

  /** Lines cut to maxLineBytes so far. */
  get linesCut(): number {
    return this.cut;
  }

  /** Feeds one chunk; returns the lines it completed, in order, without their line terminators. */
  push(chunk: Uint8Array): string[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const base = this.fed;
    const n = buf.length;
    this.fed += n;
    const out: string[] = [];
    if (n === 0) return out;
    const first = buf.indexOf(LF);
    if (first < 0) {
      this.hold(buf, 0, n);
      return out;
    }
    let start = 0;
    if (this.partialLen > 0 || this.partialState === 'cutting') {
      // The first newline completes the line carried over from earlier chunks.
      this.hold(buf, 0, first);
      out.push(this.takePartial());
      start = first + 1;
    }
    const last = buf.lastIndexOf(LF);
    if (last >= start) this.splitRegion(buf, start, last, out);
    this.consumed = base + last + 1;
    if (last + 1 < n) this.hold(buf, last + 1, n);
    return out;
  }

  /** End of input: the partial last line, if any, becomes a line (a stream that ended will not finish it). */
  flush(): string[] {
    const out: string[] = [];
    if (this.partialLen > 0 || this.partialState === 'cutting') out.push(this.takePartial());
    this.consumed = this.fed;
    return out;
  }

  /** Lines in buf[start, end), where buf[end] is a newline: decoded once per run of short lines. */
  private splitRegion(buf: Buffer, start: number, end: number, out: string[]): void {
    if (end - start <= this.maxLineBytes) {
      this.decodeRun(buf, start, end, out);
      return;
    }
    // Some line in here may be over the limit: find line ends, decode runs of short lines at once.
    let runStart = start;
    let s = start;
    while (s <= end) {
      const e = buf.indexOf(LF, s);
      if (e - s > this.maxLineBytes) {
        if (runStart < s) this.decodeRun(buf, runStart, s - 1, out);
        out.push(this.cutLine(buf, s, s + this.maxLineBytes));
        runStart = e + 1;
      }
      s = e + 1;
    }
    if (runStart <= end) this.decodeRun(buf, runStart, end, out);
  }

  /** buf[a, b) holds complete lines separated by newlines (b is a newline's index): decode and split. */
  private decodeRun(buf: Buffer, a: number, b: number, out: string[]): void {
    const parts = buf.toString('utf8', a, b).split('\n');
    if (buf.subarray(a, b).indexOf(CR) < 0) {
      for (let i = 0; i < parts.length; i++) out.push(parts[i]!);
      return;
    }
    for (let i = 0; i < parts.length; i++) out.push(stripCr(parts[i]!));
  }

  /** An over-long line: its first maxLineBytes bytes, never ending inside a UTF-8 character. */
  private cutLine(buf: Buffer, a: number, b: number): string {
    this.cut++;
    return buf.toString('utf8', a, utf8SafeEnd(buf, a, b));
  }

  /** Keeps buf[a, b) as part of the partial line, up to the limit; beyond it, the line is being cut. */
  private hold(buf: Buffer, a: number, b: number): void {
    if (this.partialState === 'cutting') return;
    const room = this.maxLineBytes - this.partialLen;
    if (b - a > room) {
      buf.copy(this.partial, this.partialLen, a, a + room);
      this.partialLen += room;
      this.partialState = 'cutting';
      return;
    }
    buf.copy(this.partial, this.partialLen, a, b);
    this.partialLen += b - a;
  }

  private takePartial(): string {
    let line: string;
    if (this.partialState === 'cutting') {
      line = this.cutLine(this.partial, 0, this.partialLen);
    } else {
      line = stripCr(this.partial.toString('utf8', 0, this.partialLen));
    }
    this.partialLen = 0;
    this.partialState = 'collecting';
    return line;
  }
}

/** A CRLF line keeps no CR; a CR elsewhere in the line is data. */
function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
}

/** end, moved back before a multi-byte UTF-8 character that would be incomplete in b[start, end). */
export function utf8SafeEnd(b: Uint8Array, start: number, end: number): number {
  for (let i = end - 1, k = 0; i >= start && k < 4; i--, k++) {
    const c = b[i]!;
    if ((c & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return end - i < need ? i : end;
  }
  return end;
}
