// Follows one log file in real time across rename rotation, copytruncate, vanishing and restarts,
// saving the position after each handled batch. Owns its file handles, watch and poll timer;
// never writes to the log file and never throws out of a callback (failures go to onError).
import { open, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/core/lines/splitter.js';
import { DirWatch } from './dir-watch.js';
import { decideResume, findRotated } from './file-resume.js';
import { FileTrack } from './file-track.js';
import type { PositionStore } from './position.js';
import { asError, MAX_BURST, type LineSink, type Source } from './source.js';

/**
 * Bytes per read of a file that has more to give. 128 KiB: a batch, its decoded lines and their
 * detections then stay in the young generation and the CPU caches; 256 KiB and 1 MiB were 5-10% slower
 * on the mixed log (alternating runs), and commits per batch no longer dominate since affairs are packed.
 */
export const READ_BYTES = 128 * 1024;

export interface FileSourceOptions {
  path: string;
  /** where the position survives restarts (the module database in production) */
  positions: PositionStore;
  /** fallback poll period for what inotify misses (ms) */
  pollMs?: number;
  /** a rotated-away or vanished file is still read until it has not grown for this long (ms) */
  rotateWaitMs?: number;
  /** bytes per read (default READ_BYTES) */
  readBytes?: number;
  maxLineBytes?: number;
}

/**
 * opening: started, no file at hand yet; absent: nothing at the path (not there yet, or vanished),
 * waiting for it; following: reading the file at the path.
 */
type FileState = 'idle' | 'opening' | 'absent' | 'following' | 'failed' | 'stopped';
/** One pump runs at a time; events during a run ask for one more run. */
type PumpState = 'idle' | 'running' | 'again';
/** How the next file opened at the path is entered: by the saved position, or from its start. */
type EntryMode = 'resume' | 'beginning';

/** A file that left the path (rotated or deleted) and is read until it stops growing. */
interface Draining {
  track: FileTrack;
  idleSince: number;
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export class FileSource implements Source<LineSink> {
  readonly id: string;
  readonly path: string;
  private readonly positions: PositionStore;
  private readonly pollMs: number;
  private readonly rotateWaitMs: number;
  private readonly maxLineBytes: number;
  private readonly buf: Buffer;
  private watch: DirWatch | null = null;

  private state: FileState = 'idle';
  private pumpState: PumpState = 'idle';
  private pumping: Promise<void> = Promise.resolve();
  private entry: EntryMode = 'resume';
  private sink: LineSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private current: FileTrack | null = null;
  private draining: Draining[] = [];
  /**
   * The file whose progress the saved position records: a rotated-away file keeps it until the file
   * now at the path delivers its first batch, so a restart in between finishes the old file first
   * and reads nothing twice.
   */
  private owner: FileTrack | null = null;
  private lines = 0;
  private cut = 0;
  private bytes = 0;

  constructor(opts: FileSourceOptions) {
    this.path = resolve(opts.path);
    this.id = `file:${this.path}`;
    this.positions = opts.positions;
    this.pollMs = opts.pollMs ?? 250;
    this.rotateWaitMs = opts.rotateWaitMs ?? 2000;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.buf = Buffer.allocUnsafe(opts.readBytes ?? READ_BYTES);
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
  /** For status reports and tests. */
  get status(): FileState {
    return this.state;
  }

  /**
   * Opens the file (or starts waiting for it) and delivers what is new from then on. Rejects only if
   * the first attempt fails for another reason than absence (e.g. permission); later failures go to
   * onError.
   */
  async start(sink: LineSink): Promise<void> {
    if (this.active()) throw new Error(`${this.id} already started`);
    this.sink = sink;
    this.state = 'opening';
    this.entry = 'resume';
    const name = basename(this.path);
    // Events about other files in the directory matter only while a rotated-away file is read.
    this.watch = new DirWatch(dirname(this.path), (n) => {
      if (n === null || n === name || this.draining.length > 0) this.kick();
    });
    this.watch.arm();
    this.pumpState = 'running';
    const first = this.step().then(
      () => null,
      (err: unknown) => asError(err),
    );
    this.pumping = first.then(() => undefined);
    const err = await first;
    if (err !== null) {
      this.pumpState = 'idle';
      if (this.active()) this.halt('failed');
      await this.release();
      throw err;
    }
    if (!this.active()) {
      // stopped meanwhile, or a consumer failed on the first batch (reported through onError)
      this.pumpState = 'idle';
      return;
    }
    this.timer = setInterval(() => this.tick(), this.pollMs);
    this.continuePump();
  }

  async stop(): Promise<void> {
    if (!this.active()) {
      await this.pumping;
      return;
    }
    this.halt('stopped');
    await this.pumping;
    await this.release();
  }

  private active(): boolean {
    return this.state === 'opening' || this.state === 'absent' || this.state === 'following';
  }

  private tick(): void {
    this.watch?.arm();
    this.kick();
  }

  private kick(): void {
    if (!this.active()) return;
    if (this.pumpState !== 'idle') {
      this.pumpState = 'again';
      return;
    }
    this.pumpState = 'running';
    this.pumping = this.pump();
  }

  /** After a run: one more if something happened meanwhile. */
  private continuePump(): void {
    if (this.pumpState === 'again' && this.active()) {
      this.pumpState = 'running';
      this.pumping = this.pump();
    } else this.pumpState = 'idle';
  }

  private async pump(): Promise<void> {
    try {
      await this.step();
    } catch (err) {
      this.fail(err);
    }
    this.continuePump();
  }

  /** One pass: open if needed, finish rotated files, read the current file to its end, look at the path. */
  private async step(): Promise<void> {
    if (this.current === null) await this.openPath();
    await this.serviceDraining();
    if (this.current === null || !this.active()) return;
    await this.readToEnd(this.current, 'current');
    if (this.active()) await this.checkPath(this.current);
  }

  private async openPath(): Promise<void> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      if (!isMissing(err)) throw err;
      // No saved position and no file: whatever appears later is new, read it all.
      if (this.entry === 'resume' && this.positions.load() === null) this.entry = 'beginning';
      this.enterAbsent(`waiting for ${this.path} to appear`);
      return;
    }
    const st = await fh.stat().catch(async (err: unknown) => {
      await fh.close();
      throw err;
    });
    const back = this.draining.findIndex((d) => d.track.inode === st.ino);
    if (back >= 0) {
      // The file came back under its name (renamed back): continue where it was.
      await fh.close();
      this.current = this.draining.splice(back, 1)[0]!.track;
      this.state = 'following';
      this.notice(`${this.path} is back (inode ${st.ino}), continuing at offset ${this.current.committed}`);
      return;
    }
    const track = new FileTrack(fh, st.ino, this.maxLineBytes);
    const entry = this.entry;
    let offset = 0;
    try {
      track.hash = await track.readHeadHash();
      if (entry === 'resume') offset = await this.resumeOffset(track, st.size);
      else this.notice(`following ${this.path} (inode ${st.ino}) from its start`);
    } catch (err) {
      await track.close();
      throw err;
    }
    this.entry = 'beginning';
    track.startAt(offset);
    this.current = track;
    this.owner ??= track;
    this.state = 'following';
    // Otherwise the saved position is left as it is until the first batch of this file: after a
    // crash before that, the restart still finds the previous file and finishes it first.
  }

  /** Where to start in a file opened right after start(), per the saved position. */
  private async resumeOffset(track: FileTrack, size: number): Promise<number> {
    const saved = this.positions.load();
    const decision = decideResume(saved, { inode: track.inode, size, hash: track.hash });
    switch (decision.kind) {
      case 'end': {
        const at = await track.endOfLastLine(size);
        this.notice(`following ${this.path} (inode ${track.inode}) from its end, offset ${at} (first run)`);
        // Saved at once: a restart before any new line must not start at the (later) end again.
        this.positions.save({ inode: track.inode, offset: at, firstLineHash: at > 0 ? (track.hash ?? '') : '' });
        return at;
      }
      case 'resume':
        this.notice(`resuming ${this.path} (inode ${track.inode}) at offset ${decision.offset}`);
        return decision.offset;
      case 'truncated':
        this.notice(`${this.path} is shorter than the saved offset (truncated while stopped): reading from its start`);
        return 0;
      case 'replaced':
        this.notice(`${this.path} has another first line than saved (file replaced): reading from its start`);
        return 0;
      case 'rotated': {
        const found = saved === null ? null : await findRotated(this.path, saved, this.maxLineBytes);
        if (found === null) {
          this.notice(`${this.path} was rotated while stopped and the old file (inode ${saved?.inode}) is gone: reading the new one from its start`);
        } else {
          this.notice(`${this.path} was rotated while stopped: finishing ${found.name} from offset ${saved?.offset} first`);
          this.draining.push({ track: found.track, idleSince: performance.now() });
          this.owner = found.track;
        }
        return 0;
      }
    }
  }

  /** Reads rotated-away files; closes each once it has not grown for rotateWaitMs. */
  private async serviceDraining(): Promise<void> {
    for (const d of [...this.draining]) {
      if (!this.active()) return;
      if ((await this.readToEnd(d.track, 'draining')) > 0) d.idleSince = performance.now();
      if (performance.now() - d.idleSince < this.rotateWaitMs || !this.active()) continue;
      // It will not grow any more: its partial last line will never be finished.
      const rest = d.track.flush();
      if (rest.length > 0) {
        if (!this.deliver(rest)) return;
        if (this.owner === d.track) this.save(d.track);
      }
      this.draining.splice(this.draining.indexOf(d), 1);
      await d.track.close();
      this.notice(`done with the rotated file (inode ${d.track.inode})`);
    }
  }

  /** Reads and delivers until the end of the file; returns the bytes read. */
  private async readToEnd(track: FileTrack, role: 'current' | 'draining'): Promise<number> {
    let total = 0;
    // batches delivered with `more` since the last position save: the burst is open
    let held = 0;
    while (this.active()) {
      const r = await track.read(this.buf);
      if (r.bytes === 0) break;
      total += r.bytes;
      this.bytes += r.bytes;
      if (r.cut > 0) {
        this.cut += r.cut;
        this.notice(`${r.cut} line(s) over ${this.maxLineBytes} bytes cut in ${this.path}`);
      }
      if (r.lines.length > 0) {
        if (role === 'current') this.owner = track;
        // The position to save must name the file by its first line, known once a line is complete.
        if (this.owner === track && track.hash === null) track.hash = await track.readHeadHash();
        if (!this.active()) break;
        // a full read: more follows at once, and the consumer may finish these lines with the next ones
        const more = r.bytes === this.buf.length && held < MAX_BURST - 1;
        if (!this.deliver(r.lines, more)) return total;
        if (more) held++;
        else {
          held = 0;
          if (this.owner === track) this.save(track);
        }
      }
      if (r.bytes < this.buf.length) break; // a short read: the end, for now
    }
    // the burst ends here (the file ended on a full buffer, or reading stops): let the consumer finish
    if (held > 0 && this.active() && this.deliver([], false) && this.owner === track) this.save(track);
    return total;
  }

  /** After reading to the end: has the path been rotated, truncated, or removed? */
  private async checkPath(track: FileTrack): Promise<void> {
    let st;
    try {
      st = await stat(this.path);
    } catch (err) {
      if (!isMissing(err)) throw err;
      this.leave(track);
      this.enterAbsent(`${this.path} vanished; reading the old file until it stops growing, waiting for a new one`);
      return;
    }
    if (st.ino !== track.inode) {
      this.notice(`${this.path} rotated (inode ${track.inode} → ${st.ino}): finishing the old file, then the new one from its start`);
      this.leave(track);
      this.state = 'opening';
      await this.openPath();
      await this.serviceDraining();
      if (this.current !== null && this.active()) await this.readToEnd(this.current, 'current');
      return;
    }
    if (st.size < track.readAt) {
      this.notice(`${this.path} truncated (size ${st.size} < offset ${track.readAt}): reading from its start`);
      track.startAt(0);
      track.hash = null;
      if (this.owner === track) this.save(track);
      await this.readToEnd(track, 'current');
    }
  }

  /** The current file left the path: read it on as a draining file, and open the path afresh. */
  private leave(track: FileTrack): void {
    this.draining.push({ track, idleSince: performance.now() });
    this.current = null;
    this.entry = 'beginning';
  }

  /** Noticed once per absence, not once per poll. */
  private enterAbsent(msg: string): void {
    if (this.state === 'absent') return;
    this.state = 'absent';
    this.notice(msg);
  }

  private save(track: FileTrack): void {
    this.positions.save({ inode: track.inode, offset: track.committed, firstLineHash: track.hash ?? '' });
  }

  /** Hands a batch over; a throwing consumer fails the source and the batch stays unacknowledged. */
  private deliver(lines: string[], more = false): boolean {
    try {
      this.sink?.onLines(lines, more);
    } catch (err) {
      this.fail(err);
      return false;
    }
    this.lines += lines.length;
    return true;
  }

  private notice(msg: string): void {
    try {
      this.sink?.onNotice(msg);
    } catch {
      // a notice is informational: a failing logger must not stop reading
    }
  }

  private fail(err: unknown): void {
    if (!this.active()) return;
    this.halt('failed');
    void this.pumping.then(() => this.release());
    try {
      this.sink?.onError(asError(err));
    } catch {
      // the owner's handler failed: nothing left to report to
    }
  }

  /** Leaves the active states: no more timer, watch or new pumps. */
  private halt(to: 'failed' | 'stopped'): void {
    this.state = to;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.watch?.close();
    this.watch = null;
  }

  private async release(): Promise<void> {
    const tracks = [...(this.current ? [this.current] : []), ...this.draining.map((d) => d.track)];
    this.current = null;
    this.draining = [];
    this.owner = null;
    await Promise.all(tracks.map((t) => t.close()));
  }
}
