// Runs external programs (nft, ipset, iptables, ip) as argument lists, never through a shell,
// optionally inside a named network namespace. The only place Watcher spawns processes.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * System tools are looked up in the system directories only, never on the caller's PATH: under npm
 * scripts node_modules/.bin comes first, and its `nft` is @vercel/nft (a file tracer), not nftables.
 */
export const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'] as const;

/** Absolute path of a system tool, or null when it is not installed. */
export function which(cmd: string): string | null {
  if (cmd.includes('/')) return cmd;
  for (const dir of SYSTEM_DIRS) {
    const p = path.join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return null;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** bytes or text written to stdin, then stdin is closed */
  input?: string | Buffer | (string | Buffer)[];
  /** kill after this many milliseconds (default 120 s) */
  timeoutMs?: number;
}

/** Prefixes commands so they run in a network namespace (`ip netns exec NS`), or not at all. */
export class Exec {
  constructor(readonly netns: string | null = null) {}

  /** The program and arguments to spawn; a missing tool keeps its bare name so spawn fails with ENOENT. */
  argv(cmd: string, args: readonly string[]): [string, string[]] {
    const file = which(cmd) ?? cmd;
    if (this.netns === null) return [file, [...args]];
    return [which('ip') ?? 'ip', ['netns', 'exec', this.netns, file, ...args]];
  }

  /** Runs to completion; never rejects for a non-zero exit (that is a value), only for spawn failure. */
  run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, argv] = this.argv(cmd, args);
    return new Promise((resolve, reject) => {
      const child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by ${signal}` : ''),
        });
      });
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
      // EPIPE when the program exits before reading all input is reported through 'close'.
      child.stdin.on('error', () => undefined);
      const input = opts.input;
      if (input === undefined) child.stdin.end();
      else if (Array.isArray(input)) writeAll(child, input);
      else child.stdin.end(input);
    });
  }

  /** Starts a long-lived process with piped stdio (for `ipset -`). */
  spawnPersistent(cmd: string, args: readonly string[]): ChildProcessWithoutNullStreams {
    const [file, argv] = this.argv(cmd, args);
    return spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  }

  /** True when the tool is installed (namespaces share the file system, so this holds inside one too). */
  async has(cmd: string): Promise<boolean> {
    return which(cmd) !== null;
  }
}

/** Writes chunks honouring back-pressure, so multi-megabyte restore scripts are not buffered twice. */
function writeAll(child: ChildProcessWithoutNullStreams, chunks: (string | Buffer)[]): void {
  let i = 0;
  const pump = (): void => {
    while (i < chunks.length) {
      const ok = child.stdin.write(chunks[i++]!);
      if (!ok) {
        child.stdin.once('drain', pump);
        return;
      }
    }
    child.stdin.end();
  };
  pump();
}
