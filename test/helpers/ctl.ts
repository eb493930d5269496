// Runs the compiled watcherctl against a test daemon's dirs: with standard input, under another
// program name (a symlink, for the freeme/<M>injector aliases) or as another user (setpriv).
// Asynchronous, so a foreground daemon's output keeps being drained meanwhile.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DaemonDirs } from './daemon.js';

export const WATCHERCTL = fileURLToPath(new URL('../../dist/src/cli/watcherctl.js', import.meta.url));
export const WATCHERCTL_BIN = fileURLToPath(new URL('../../bin/watcherctl.js', import.meta.url));

export interface CtlOptions {
  stdin?: string;
  /** run this file instead (a symlink named freeme, LGinjector, ...) */
  program?: string;
  /** prefix, e.g. ['setpriv', '--reuid=nobody', ...] */
  wrap?: string[];
  /** no --config-dir/--state-dir/--run-dir flags */
  bare?: boolean;
}

export function ctl(dirs: DaemonDirs, args: string[], o: CtlOptions = {}): Promise<{ code: number; out: string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const argv = [o.program ?? WATCHERCTL, ...args, ...(o.bare ? [] : dirs.flags)];
    const [cmd, ...rest] = o.wrap ? [...o.wrap, process.execPath, ...argv] : [process.execPath, ...argv];
    const p = spawn(cmd!, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out: stdout + stderr, stdout, stderr });
    });
    p.stdin.end(o.stdin ?? '');
  });
}
