// What every watcherctl command shares: its options, the configuration (for the socket path), one
// request to the daemon with the exit codes of watcherctl, and time formatting for human output.
import { parseArgs } from 'node:util';
import { commonOptions, loadOptionsOf, type Flags } from '../options.js';
import { configForControl } from '../service.js';
import { request, DaemonNotRunning, SocketDenied } from '../../control/client.js';
import type { ControlCommand } from '../../control/protocol.js';
import type { WatcherConfig } from '../../config/schema.js';

/** Exit codes of watcherctl (documented in its --help). */
export const EXIT = { ok: 0, error: 1, usage: 2, notRunning: 3 } as const;

export const ctlOptions = {
  ...commonOptions,
  module: { type: 'string', short: 'm' },
  source: { type: 'string' },
  for: { type: 'string' },
  comment: { type: 'string' },
  actor: { type: 'string' },
  limit: { type: 'string' },
} as const;

export type CtlFlags = Flags & { module?: string; source?: string; for?: string; comment?: string; actor?: string; limit?: string };

export class UsageError extends Error {}

export function parseCtl(argv: string[]): { positionals: string[]; flags: CtlFlags } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: ctlOptions, allowPositionals: true, strict: true });
    return { positionals, flags: values as CtlFlags };
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export function configOf(flags: CtlFlags): WatcherConfig {
  return configForControl(loadOptionsOf(flags));
}

/** The result of one request, or the exit code it ends with (the message already printed). */
export type Answer<T> = { ok: true; result: T } | { ok: false; code: number };

export async function ask<T>(config: WatcherConfig, command: ControlCommand, timeoutMs = 30_000): Promise<Answer<T>> {
  try {
    const r = await request(config.control.socket, command, timeoutMs);
    if (!r.ok) {
      process.stderr.write(`watcherctl: ${r.error?.message ?? 'refused'}\n`);
      return { ok: false, code: EXIT.error };
    }
    return { ok: true, result: r.result as T };
  } catch (e) {
    return { ok: false, code: reportFailure(e) };
  }
}

/** Prints why talking to the daemon failed; returns the exit code. */
export function reportFailure(e: unknown): number {
  process.stderr.write(`watcherctl: ${e instanceof Error ? e.message : String(e)}\n`);
  if (e instanceof DaemonNotRunning) return EXIT.notRunning;
  if (e instanceof SocketDenied) return EXIT.error;
  return EXIT.error;
}

export function printJson(x: unknown): void {
  process.stdout.write(JSON.stringify(x, null, 2) + '\n');
}

export { pad, when } from './format.js';
