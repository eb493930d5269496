// Follows the systemd journal through `journalctl --follow --output=json`, delivering parsed entries
// and saving the cursor of each handled batch. Owns the journalctl child; never restarts it itself
// when it exits (that is reported as an error: the supervisor restarts the source).
import { spawn, type ChildProcess } from 'node:child_process';
import { WatcherError } from '../../src/core/errors.js';
import { LineSplitter } from '../../src/core/lines/splitter.js';
import { journalFollowArgs, journalTailArgs, type JournalSelection, type JournalStart } from './journal-args.js';
import { asError, type Source, type SourceEvents } from './source.js';
import type { ValueStore } from './stores.js';

/** One journal entry as journalctl prints it: strings, null for large fields, byte arrays for binary. */
export type JournalRecord = Record<string, unknown>;

/** Receives parsed entries, one call per read chunk; handled when onRecords returns (see LineSink). */
export interface RecordSink extends SourceEvents {
  onRecords(records: JournalRecord[]): void;
}

export type CursorStore = ValueStore<string>;

export interface JournalSourceOptions extends JournalSelection {
  cursors: CursorStore;
  /** the journalctl binary */
  journalctl?: string;
  /** how long stop() waits for journalctl to exit after SIGTERM before SIGKILL (ms) */
  killAfterMs?: number;
  /** how often an empty journal is asked again for its first entry (ms) */
  emptyPollMs?: number;
}

/**
 * starting: the tail query or the spawn is under way; awaiting: the journal has no entry yet (and
 * journalctl 252 refuses to follow an empty journal), asked again periodically; following:
 * journalctl runs.
 */
type JournalState = 'idle' | 'starting' | 'awaiting' | 'following' | 'failed' | 'stopped';

/** JSON lines of journalctl are bounded (fields over 4096 bytes print as null) but be generous. */
const MAX_JSON_LINE = 1024 * 1024;
const STDERR_KEEP = 2048;

export class JournalSource implements Source<RecordSink> {
  readonly id: string;
  private readonly opts: JournalSourceOptions;
  private readonly bin: string;
  private state: JournalState = 'idle';
  private sink: RecordSink | null = null;
  private child: ChildProcess | null = null;
  private emptyTimer: NodeJS.Timeout | null = null;
  private exited: Promise<void> = Promise.resolve();
  private splitter = new LineSplitter({ maxLineBytes: MAX_JSON_LINE });
  private stderrTail = '';
  private runRecords = 0;
  private records = 0;
  private cut = 0;
  private bytes = 0;
  private unparsable = 0;

  constructor(opts: JournalSourceOptions) {
    this.opts = opts;
    this.bin = opts.journalctl ?? 'journalctl';
    const where = opts.file !== undefined ? `file=${opts.file}` : opts.directory !== undefined ? `dir=${opts.directory}` : 'system';
    const what = [...(opts.units ?? []).map((u) => `unit=${u}`), ...(opts.identifiers ?? []).map((i) => `id=${i}`), ...(opts.matches ?? []).map((g) => g.join(','))];
    this.id = `journal:${where}${what.length ? `:${what.sort().join('+')}` : ''}`;
  }

  get linesRead(): number {
    return this.records;
  }
  get linesCut(): number {
    return this.cut;
  }
  get bytesRead(): number {
    return this.bytes;
  }
  /** Lines from journalctl that were not JSON objects (skipped). */
  get unparsableLines(): number {
    return this.unparsable;
  }
  get status(): JournalState {
    return this.state;
  }
  /** The journalctl process id while it runs (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Starts journalctl after the saved cursor or, on the first run, after the journal's current last
   * entry (saved at once, so a restart before any entry misses nothing). Rejects if journalctl
   * cannot be run or the journal cannot be read at start.
   */
  async start(sink: RecordSink): Promise<void> {
    if (this.active()) throw new Error(`${this.id} already started`);
    this.sink = sink;
    this.state = 'starting';
    try {
      const saved = this.opts.cursors.load();
      const from: JournalStart | 'empty' = saved !== null ? { after: saved } : await this.startAtEnd();
      if (this.state !== 'starting') return;
      if (from === 'empty') this.awaitFirstEntry();
      else await this.spawnFollow(from);
    } catch (err) {
      if (this.state === 'starting') this.state = 'failed';
      throw asError(err);
    }
  }

  async stop(): Promise<void> {
    if (!this.active()) return;
    this.state = 'stopped';
    this.clearEmptyTimer();
    const child = this.child;
    if (child !== null && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), this.opts.killAfterMs ?? 2000);
      await this.exited;
      clearTimeout(killer);
    }
    this.child = null;
  }

  private active(): boolean {
    return this.state === 'starting' || this.state === 'awaiting' || this.state === 'following';
  }

  /** The cursor of the journal's last entry now, saved; 'empty' if the journal has no entry. */
  private async startAtEnd(): Promise<JournalStart | 'empty'> {
    const cursor = await this.lastCursor();
    if (cursor === null) return 'empty';
    this.opts.cursors.save(cursor);
    this.notice('first run: following the journal from its end');
    return { after: cursor };
  }

  private async lastCursor(): Promise<string | null> {
    const { code, stdout, stderr } = await this.run(journalTailArgs(this.opts));
    if (code !== 0) throw new WatcherError('WATCHER_E_IO', `journalctl could not read the journal (exit ${code})${stderr ? `: ${stderr}` : ''}`);
    const last = stdout.trim().split('\n').pop() ?? '';
    const cursor = last === '' ? null : parseRecord(last)?.__CURSOR;
    return typeof cursor === 'string' ? cursor : null;
  }

  /** Asks the empty journal again until it has an entry, then follows it from its beginning (all new). */
  private awaitFirstEntry(): void {
    this.state = 'awaiting';
    this.notice('the journal has no entry yet: waiting for the first one');
    const ask = (): void => {
      this.emptyTimer = null;
      void this.lastCursor()
        .then(async (cursor) => {
          if (this.state !== 'awaiting') return;
          if (cursor === null) {
            this.emptyTimer = setTimeout(ask, this.opts.emptyPollMs ?? 1000);
            return;
          }
          this.state = 'starting';
          await this.spawnFollow({ from: 'beginning' });
        })
        .catch((err: unknown) => this.fail(err));
    };
    this.emptyTimer = setTimeout(ask, this.opts.emptyPollMs ?? 1000);
  }

  private clearEmptyTimer(): void {
    if (this.emptyTimer !== null) clearTimeout(this.emptyTimer);
    this.emptyTimer = null;
  }

  private spawnFollow(from: JournalStart): Promise<void> {
    const child = spawn(this.bin, journalFollowArgs(this.opts, from), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.splitter = new LineSplitter({ maxLineBytes: MAX_JSON_LINE });
    this.stderrTail = '';
    this.runRecords = 0;
    this.exited = new Promise((done) => child.once('close', () => done()));
    child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => this.onStderr(text));
    child.once('close', (code, signal) => this.onClose(child, from, code, signal));
    return new Promise((resolve, reject) => {
      child.once('spawn', () => {
        if (this.state === 'starting') this.state = 'following';
        resolve();
      });
      child.once('error', (err) => {
        if (this.state === 'starting') reject(new WatcherError('WATCHER_E_IO', `cannot run ${this.bin}: ${err.message}`, { cause: err }));
        else this.fail(err);
      });
    });
  }

  private onData(chunk: Buffer): void {
    if (this.state !== 'following') return;
    this.bytes += chunk.length;
    const before = this.splitter.linesCut;
    const lines = this.splitter.push(chunk);
    this.cut += this.splitter.linesCut - before;
    const batch: JournalRecord[] = [];
    let cursor: string | null = null;
    for (const line of lines) {
      if (line === '') continue;
      const rec = parseRecord(line);
      if (rec === null) {
        this.unparsable++;
        this.notice(`skipped a journalctl line that is not a JSON object (${line.length} characters)`);
        continue;
      }
      batch.push(rec);
      if (typeof rec.__CURSOR === 'string') cursor = rec.__CURSOR;
    }
    if (batch.length === 0) return;
    try {
      this.sink?.onRecords(batch);
      this.records += batch.length;
      this.runRecords += batch.length;
      if (cursor !== null) this.opts.cursors.save(cursor);
    } catch (err) {
      this.fail(err);
    }
  }

  private onStderr(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP);
    for (const line of text.split('\n')) if (line.trim() !== '') this.notice(`journalctl: ${line.trim()}`);
  }

  private onClose(child: ChildProcess, from: JournalStart, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child || this.state !== 'following') return;
    this.child = null;
    const stderr = this.stderrTail.trim();
    // A saved cursor the journal no longer knows (vacuumed, other machine): restarting with it would
    // fail forever, so this one case starts over at the end instead of going to the supervisor.
    if ('after' in from && this.runRecords === 0 && /Failed to seek to cursor/i.test(stderr)) {
      this.notice('the saved journal cursor is not usable any more: following from the end of the journal');
      this.state = 'starting';
      void this.startAtEnd()
        .then((f) => {
          if (this.state !== 'starting') return;
          if (f === 'empty') this.awaitFirstEntry();
          else return this.spawnFollow(f);
        })
        .catch((err: unknown) => this.fail(err));
      return;
    }
    const how = signal !== null ? `signal ${signal}` : `code ${code}`;
    this.fail(new WatcherError('WATCHER_E_IO', `journalctl exited (${how})${stderr ? `: ${stderr}` : ''}`));
  }

  private notice(msg: string): void {
    try {
      this.sink?.onNotice(msg);
    } catch {
      // informational only
    }
  }

  private fail(err: unknown): void {
    if (!this.active()) return;
    this.state = 'failed';
    this.clearEmptyTimer();
    const child = this.child;
    this.child = null;
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    try {
      this.sink?.onError(asError(err));
    } catch {
      // nothing left to report to
    }
  }

  /** Runs journalctl to completion (the tail query). */
  private run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_KEEP)));
      child.once('error', (err) => reject(new WatcherError('WATCHER_E_IO', `cannot run ${this.bin}: ${err.message}`, { cause: err })));
      child.once('close', (code) => resolve({ code, stdout, stderr: stderr.trim() }));
    });
  }
}

function parseRecord(line: string): JournalRecord | null {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JournalRecord) : null;
  } catch {
    return null;
  }
}
