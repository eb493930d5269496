// Benchmarks that measure the daemon's runtime run in a process of their own (its Node flags, a heap no
// earlier benchmark filled): the parent spawns the benchmark file, which prints one JSON result.
import { spawn } from 'node:child_process';

/** Runs `file` (a benchmark module) with `args` under `nodeFlags`; resolves with the JSON it printed. */
export async function jsonFromChild<T>(file: string, args: readonly string[], nodeFlags: readonly string[], what: string): Promise<T> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${what} benchmark child exited with ${code}`);
  return JSON.parse(out) as T;
}

/** In the child: prints what `run` resolves with as JSON and exits 0, or reports the failure and exits 1. */
export function printResultAndExit(run: Promise<unknown>, what: string): void {
  run.then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
