// The log files beside stderr: <dir>/<M>.log for module M's actor, <dir>/watcher.log for everything
// else. Opened with O_APPEND (flags 'a'), so logrotate's copytruncate needs no signal: after a
// truncation the next write lands at the new end, never at the old offset. Never throws into a caller.
import { createWriteStream, existsSync, fchmodSync, mkdirSync, openSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';

const MESSAGE = Symbol.for('message');
const MODULE_ACTOR = /^module:(LG|MX|MB|WB)$/;

/** The file of one actor's lines. */
export function logFileOf(actor: string | undefined): string {
  const m = actor !== undefined ? MODULE_ACTOR.exec(actor) : null;
  return m ? `${m[1]}.log` : 'watcher.log';
}

/** One file: writing, or given up after an error (said once on stderr; the next reconfigure retries). */
type FileState = { kind: 'open'; stream: WriteStream } | { kind: 'failed' };

// winston's typings call the base class `transport`; at run time it is `winston.Transport`.
const TransportBase = (winston as unknown as { Transport: typeof TransportStream }).Transport;

export class LogFilesTransport extends TransportBase {
  private readonly files = new Map<string, FileState>();

  constructor(readonly dir: string) {
    super();
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const name = logFileOf(typeof info.actor === 'string' ? info.actor : undefined);
    const f = this.files.get(name) ?? this.open(name);
    if (f.kind === 'open') f.stream.write(`${String(info[MESSAGE])}\n`);
    next();
  }

  private open(name: string): FileState {
    const file = path.join(this.dir, name);
    let state: FileState;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      const created = !existsSync(file);
      const fd = openSync(file, 'a', 0o640);
      // a new file gets 0640 whatever the umask is at this moment (the control socket narrows it briefly)
      if (created) fchmodSync(fd, 0o640);
      const stream = createWriteStream('', { fd });
      stream.on('error', (e) => {
        this.files.set(name, { kind: 'failed' });
        process.stderr.write(`watcher: log file ${file}: ${e.message}; logging to stderr only\n`);
      });
      state = { kind: 'open', stream };
    } catch (e) {
      process.stderr.write(`watcher: log directory ${this.dir}: ${e instanceof Error ? e.message : String(e)}; logging to stderr only\n`);
      state = { kind: 'failed' };
    }
    this.files.set(name, state);
    return state;
  }

  /** Flushes and closes every file; resolves once the data is handed to the kernel. */
  async closeFiles(): Promise<void> {
    const open = [...this.files.values()].flatMap((f) => (f.kind === 'open' ? [f.stream] : []));
    this.files.clear();
    await Promise.all(open.map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}
