// Processes of the e2e lab: long-running daemons (stopped by PID: SIGTERM, then SIGKILL) and bounded
// tool runs (killed with their whole process group on timeout or abort). Never kills by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { which } from '../../src/adapters/exec.js';

const KEEP = 256 * 1024;

/** Absolute path of a system tool (never node_modules/.bin), or null. */
export function toolPath(tool: string): string | null {
  if (tool.startsWith('/')) return existsSync(tool) ? tool : null;
  return which(tool);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends sig to pid, ignoring "no such process". */
export function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Waits until pid is gone (polls /proc); true when it went within ms. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(25);
  }
  return !alive(pid);
}

export interface LabProcess {
  name: string;
  /** PID of the spawned process (nsenter/ip netns exec exec into the daemon: it is the daemon). */
  pid: number;
  proc: ChildProcess;
  /** stdout + stderr so far (the last 256 KiB) */
  output(): string;
  running(): boolean;
  exited: Promise<number | null>;
  /** SIGTERM the main PID (mainPid() when given, e.g. Postfix's master), SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  /** the PID to signal on stop when it differs from the spawned one (read from a pid file) */
  mainPid?: () => number | null;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Spawns a long-running process; the caller registers stop() in a scope. */
export function spawnProcess(name: string, argv: string[], opts: SpawnOptions = {}): LabProcess {
  const [cmd, ...args] = argv;
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env ?? process.env });
  let out = '';
  const add = (b: Buffer) => {
    out += b.toString();
    if (out.length > KEEP) out = out.slice(-KEEP);
  };
  proc.stdout!.on('data', add);
  proc.stderr!.on('data', add);
  const exited = new Promise<number | null>((resolve) => {
    proc.on('error', (err) => {
      add(Buffer.from(`spawn error: ${err.message}\n`));
      resolve(null);
    });
    proc.on('close', (code, sig) => resolve(code ?? (sig ? 128 : null)));
  });
  if (proc.pid === undefined) throw new Error(`cannot spawn ${name}: ${argv.join(' ')}`);
  const pid = proc.pid;
  return {
    name,
    pid,
    proc,
    output: () => out,
    running: () => proc.exitCode === null && proc.signalCode === null,
    exited,
    async stop(graceMs = 5000) {
      const main = opts.mainPid?.() ?? null;
      for (const p of main !== null && main !== pid ? [main, pid] : [pid]) signalPid(p, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        if (main !== null) signalPid(main, 'SIGKILL');
        signalPid(pid, 'SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
      if (main !== null) await waitGone(main, 2000);
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** killed because timeoutMs passed */
  timedOut: boolean;
  /** killed because the signal aborted */
  aborted: boolean;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion in its own process group; on timeout or abort the whole group
 * (a tool and the children it forked, like hydra's tasks) gets SIGKILL by its group id.
 */
export function runProcess(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  const start = Date.now();
  return new Promise((resolve) => {
    const p = spawn(cmd!, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    p.stdout!.on('data', (b: Buffer) => {
      if (stdout.length < KEEP) stdout += b.toString();
    });
    p.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < KEEP) stderr += b.toString();
    });
    if (opts.input !== undefined) p.stdin!.end(opts.input);
    const killGroup = () => {
      if (p.pid === undefined) return;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        signalPid(p.pid, 'SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs ?? 60_000);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    p.on('error', (err) => {
      stderr += `spawn error: ${err.message}\n`;
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // The group may still hold forked children that outlived their parent.
      killGroup();
      resolve({ code, stdout, stderr, timedOut, aborted, ms: Date.now() - start });
    });
  });
}
