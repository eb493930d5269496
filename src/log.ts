// Watcher's logging: one winston root logger to stderr (journald under systemd), optionally also to
// per-module files (src/adapters/log-files.ts), and one child logger per actor, tagged with its id.
// Per-line logging belongs at debug level; per-line detection tracing at trace level only.
import winston from 'winston';
import { LogFilesTransport } from './adapters/log-files.js';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const root = winston.createLogger({
  level: process.env.WATCHER_LOG_LEVEL ?? 'info',
  levels: { error: 0, warn: 1, info: 2, debug: 3, trace: 4 },
  format: winston.format.combine(
    winston.format.timestamp(),
    winston.format.printf((i) => `${String(i.timestamp)} ${i.level} [${String(i.actor ?? 'watcher')}] ${String(i.message)}`),
  ),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'trace'] })],
});

/** The file transport in use, or none (log_dir empty or not configured yet). */
let files: LogFilesTransport | null = null;

export function setLogLevel(level: string): void {
  root.level = level;
}

/**
 * Applies the logging settings (at start and on every reload): the level, and the file directory
 * (empty = stderr only). A changed directory closes the old files and opens the new ones lazily.
 */
export async function configureLogging(opts: { level: LogLevel; dir: string }): Promise<void> {
  root.level = opts.level;
  if ((files?.dir ?? '') === opts.dir) return;
  await closeLogFiles();
  if (opts.dir === '') return;
  files = new LogFilesTransport(opts.dir);
  root.add(files);
}

/** Stops writing files (at exit: flushes what is buffered first). */
export async function closeLogFiles(): Promise<void> {
  if (!files) return;
  const f = files;
  files = null;
  root.remove(f);
  await f.closeFiles();
}

/** The logger of one actor (or component), tagged with its id. */
export function loggerFor(actor: string): Logger {
  return root.child({ actor });
}
