// The service verbs of `watcher` with the original's semantics: start, stop [--flush], restart,
// reload, full, status. They steer a running daemon only through its control socket and signals.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, DaemonNotRunning } from '../control/client.js';
import { formatProblems, loadConfig, type LoadOptions } from '../config/load.js';
import type { WatcherConfig } from '../config/schema.js';
import type { DaemonStatus } from '../daemon/status.js';
import { chooseBackend } from '../../actors/fw/choose-backend.js';
import { loggerFor } from '../log.js';
import { DAEMON_NODE_FLAGS } from '../daemon/node-flags.js';
import { printStatusText } from './ctl/status-text.js';

/** LSB exit codes for status: 0 running, 3 not running. */
export const EXIT_NOT_RUNNING = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function configOrExit(opts: LoadOptions): WatcherConfig {
  const r = loadConfig(opts);
  if (!r.ok) {
    process.stderr.write(`watcher: the configuration is invalid:\n${formatProblems(r.problems)}\n`);
    process.exit(1);
  }
  return r.config;
}

/**
 * For verbs that only talk to a running daemon (status, stop, reload): a broken drop-in must not
 * keep the operator from steering it, so fall back to the shipped defaults plus the flags.
 */
export function configForControl(opts: LoadOptions): WatcherConfig {
  const r = loadConfig(opts);
  if (r.ok) return r.config;
  process.stderr.write(`watcher: warning: the configuration is invalid (the running daemon keeps its own):\n${formatProblems(r.problems)}\n`);
  const fallback = loadConfig({ ...opts, configDir: '/nonexistent/watcher.d' });
  if (!fallback.ok) {
    process.stderr.write(`${formatProblems(fallback.problems)}\n`);
    process.exit(1);
  }
  return fallback.config;
}

export async function daemonStatus(config: WatcherConfig): Promise<DaemonStatus | null> {
  try {
    const r = await request(config.control.socket, { cmd: 'status' }, 10_000);
    return r.ok ? (r.result as DaemonStatus) : null;
  } catch (e) {
    if (e instanceof DaemonNotRunning) return null;
    throw e;
  }
}

function pidOf(config: WatcherConfig): number | null {
  try {
    const pid = Number(readFileSync(path.join(config.run_dir, 'watcher.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `watcher run` detached, logging to <state>/watcher.log; waits until it answers. */
export async function start(config: WatcherConfig, argv: string[]): Promise<number> {
  const running = await daemonStatus(config);
  if (running) {
    console.log(`watcher is already running (pid ${running.pid})`);
    return 0;
  }
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  const logFile = path.join(config.state_dir, 'watcher.log');
  const fd = openSync(logFile, 'a');
  const entry = fileURLToPath(new URL('./watcher.js', import.meta.url));
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, entry, 'run', ...argv], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await sleep(200);
    if (child.exitCode !== null || (child.pid !== undefined && !alive(child.pid))) {
      console.error(`watcher failed to start; the end of ${logFile}:\n${tail(logFile)}`);
      return 1;
    }
    const st = await daemonStatus(config);
    if (st) {
      const load = st.children.find((c) => c.id === 'master-load');
      if (!load || load.state !== 'running') {
        console.log(`watcher started (pid ${st.pid}, backend ${st.backend}); log: ${logFile}`);
        return 0;
      }
    }
  }
  console.error(`watcher did not answer within 120 s; see ${logFile}`);
  return 1;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Asks the daemon to stop (optionally flushing the firewall) and waits until it is gone. */
export async function stop(config: WatcherConfig, flush: boolean): Promise<number> {
  const pid = pidOf(config);
  try {
    await request(config.control.socket, { cmd: 'stop', flush }, 10_000);
  } catch (e) {
    if (!(e instanceof DaemonNotRunning)) throw e;
    if (pid !== null && alive(pid)) process.kill(pid, 'SIGTERM');
    else {
      console.log('watcher is not running');
      if (flush) return teardownDirect(config);
      return 0;
    }
  }
  const deadline = Date.now() + config.supervisor.shutdown_timeout + 30_000;
  while (Date.now() < deadline) {
    if ((pid === null || !alive(pid)) && !existsSync(config.control.socket)) {
      console.log(flush ? 'watcher stopped; its firewall entries were removed' : 'watcher stopped; its firewall entries stay');
      return 0;
    }
    await sleep(100);
  }
  console.error('watcher did not stop in time');
  return 1;
}

/** Removes everything Watcher put into the firewall while no daemon runs (the one writer then is us). */
async function teardownDirect(config: WatcherConfig): Promise<number> {
  const { backend } = await chooseBackend(config, loggerFor('fw-writer'));
  try {
    await backend.teardown();
    console.log(`removed Watcher's firewall entries (${backend.name})`);
    return 0;
  } finally {
    await backend.close();
  }
}

export async function reload(config: WatcherConfig): Promise<number> {
  try {
    await request(config.control.socket, { cmd: 'reload' }, 10_000);
    console.log('reload requested');
    return 0;
  } catch (e) {
    if (e instanceof DaemonNotRunning) {
      console.error('watcher is not running');
      return 7;
    }
    throw e;
  }
}

/** `full`: remove everything Watcher put into the firewall, then start from blank. */
export async function full(config: WatcherConfig, argv: string[]): Promise<number> {
  const running = await daemonStatus(config);
  const code = running ? await stop(config, true) : await teardownDirect(config);
  if (code !== 0) return code;
  return start(config, argv);
}

export function printStatus(st: DaemonStatus | null, json: boolean): number {
  if (json) {
    console.log(JSON.stringify(st ?? { running: false }));
    return st ? 0 : EXIT_NOT_RUNNING;
  }
  if (!st) {
    console.log('watcher is not running');
    return EXIT_NOT_RUNNING;
  }
  printStatusText(st);
  return 0;
}

