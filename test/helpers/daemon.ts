// Runs the compiled `watcher` daemon for integration tests in a temporary state/run/config dir,
// managing the firewall of a test namespace. Stops it by PID in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const WATCHER = fileURLToPath(new URL('../../dist/src/cli/watcher.js', import.meta.url));

export interface DaemonDirs {
  root: string;
  state: string;
  run: string;
  conf: string;
  whitelist: string;
  blacklist: string;
  /** log_dir of the daemon: <M>.log per module, watcher.log for the rest */
  log: string;
  /** flags that point any watcher command at these dirs */
  flags: string[];
}

export function daemonDirs(t: ExecutionContext, yaml: string): DaemonDirs {
  const root = mkdtempSync(path.join(os.tmpdir(), 'watcher-it-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const d = {
    root,
    state: path.join(root, 'state'),
    run: path.join(root, 'run'),
    conf: path.join(root, 'watcher.d'),
    whitelist: path.join(root, 'whitelist'),
    blacklist: path.join(root, 'blacklist'),
    log: path.join(root, 'log'),
  };
  mkdirSync(d.conf);
  // before 50-test.yaml, so a test can set its own log_dir; never the host's /var/log/watcher
  writeFileSync(path.join(d.conf, '10-helper.yaml'), `log_dir: ${d.log}\n`);
  writeFileSync(path.join(d.conf, '50-test.yaml'), `lists:\n  whitelist: ${d.whitelist}\n  blacklist: ${d.blacklist}\n${yaml}`);
  return { ...d, flags: ['--config-dir', d.conf, '--state-dir', d.state, '--run-dir', d.run] };
}

/**
 * Runs a watcher verb to completion. Asynchronously: a spawnSync would stop this process from
 * draining a foreground daemon's stderr pipe, and the daemon would block writing its log.
 */
export function watcher(dirs: DaemonDirs, args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [WATCHER, ...args, ...dirs.flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out: stdout + stderr, stdout });
    });
  });
}

export interface RunningDaemon {
  proc: ChildProcess;
  output(): string;
  /** resolves when the output contains the pattern */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  exited: Promise<number>;
}

/** `watcher run` in the foreground as a child process (killed by PID in teardown). */
export function runDaemon(t: ExecutionContext, dirs: DaemonDirs, extra: string[] = []): RunningDaemon {
  const proc = spawn(process.execPath, [WATCHER, 'run', ...dirs.flags, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number>((resolve) => proc.on('close', (c) => resolve(c ?? 1)));
  t.teardown(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  return {
    proc,
    output: () => out,
    exited,
    async waitFor(pattern, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (pattern.test(out)) return;
        if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}) before ${pattern}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${pattern}:\n${out}`);
    },
  };
}

export function distBuilt(): string | null {
  return existsSync(WATCHER) ? null : 'dist/ is not built (npm test builds it; run npx tsc -p tsconfig.build.json)';
}
