// Watcher's logging: one winston root logger to stderr (journald under systemd) and one child
// logger per actor, tagged with its id. Per-line logging belongs at debug level only.
import winston from 'winston';

export type Logger = winston.Logger;

const root = winston.createLogger({
  level: process.env.WATCHER_LOG_LEVEL ?? 'info',
  levels: { error: 0, warn: 1, info: 2, debug: 3, trace: 4 },
  format: winston.format.combine(
    winston.format.timestamp(),
    winston.format.printf((i) => `${String(i.timestamp)} ${i.level} [${String(i.actor ?? 'watcher')}] ${String(i.message)}`),
  ),
  transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug', 'trace'] })],
});

export function setLogLevel(level: string): void {
  root.level = level;
}

/** The logger of one actor (or component), tagged with its id. */
export function loggerFor(actor: string): Logger {
  return root.child({ actor });
}
