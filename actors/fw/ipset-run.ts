// Runs one ipset/iptables command through Exec and turns every failure into a coded WatcherError:
// a missing binary into WATCHER_E_FW_MISSING (with the Debian package), anything else into _FW_COMMAND.
import type { Exec, ExecOptions, ExecResult } from '../../src/adapters/exec.js';
import { WatcherError } from '../../src/core/errors.js';

/** The Debian package that ships each program the backend runs. */
export const PACKAGE_OF: Record<string, string> = {
  ipset: 'ipset',
  iptables: 'iptables',
  ip6tables: 'iptables',
  'iptables-restore': 'iptables',
  'ip6tables-restore': 'iptables',
};

export function fixFor(cmd: string): string {
  return `apt-get install ${PACKAGE_OF[cmd] ?? cmd}`;
}

/** Missing shows as a spawn error without a namespace, and as `ip netns exec`'s own message inside one. */
export function looksMissing(r: ExecResult): boolean {
  return r.code !== 0 && /exec of ".*" failed: No such file or directory/.test(r.stderr);
}

export function missingError(cmd: string, cause?: unknown): WatcherError {
  return new WatcherError('WATCHER_E_FW_MISSING', `${cmd} is not installed`, { hint: fixFor(cmd), cause });
}

export function commandError(cmd: string, args: readonly string[], r: ExecResult): WatcherError {
  const detail = r.stderr.trim() || r.stdout.trim() || 'no output';
  return new WatcherError('WATCHER_E_FW_COMMAND', `${[cmd, ...args].join(' ')} failed (exit ${r.code}): ${detail}`);
}

/** Runs and returns stdout; rejects with a WatcherError on any failure. */
export async function runChecked(exec: Exec, cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  let r: ExecResult;
  try {
    r = await exec.run(cmd, args, opts);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingError(cmd, e);
    throw new WatcherError('WATCHER_E_FW_COMMAND', `${cmd} could not be started: ${String(e)}`, { cause: e });
  }
  if (looksMissing(r)) throw missingError(cmd);
  if (r.code !== 0) throw commandError(cmd, args, r);
  return r.stdout;
}
