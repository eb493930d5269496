// Benchmarks of the log sources: file source throughput over a pre-written file (from offset 0 via a
// saved position), append → onLines latency through inotify, and the pure splitter alone.
// Writes only into a temporary directory it removes; never asserts, only measures.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileSource } from '../../actors/sources/file-source.js';
import { firstLineHash, type Position } from '../../actors/sources/position.js';
import type { LineSink } from '../../actors/sources/source.js';
import { MemoryStore } from '../../actors/sources/stores.js';
import { LineSplitter } from '../../src/core/lines/splitter.js';

/** A realistic mix of sshd lines, about 100 bytes each. */
function logText(lines: number): Buffer {
  const parts: string[] = new Array<string>(lines);
  for (let i = 0; i < lines; i++) {
    const ip = `${(i * 7) % 223 + 1}.${(i >>> 8) & 255}.${i & 255}.${(i * 13) & 255}`;
    parts[i] = i % 3 === 0
      ? `Nov 22 01:50:29 host sshd[${1000 + (i % 50000)}]: Failed password for invalid user admin from ${ip} port ${40000 + (i % 20000)} ssh2`
      : `Nov 22 01:50:29 host sshd[${1000 + (i % 50000)}]: Connection closed by authenticating user root ${ip} port 22 [preauth]`;
  }
  return Buffer.from(`${parts.join('\n')}\n`);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'watcher-bench-src-'));
}

/** A sink that counts lines and resolves when `target` lines arrived. */
function countingSink(target: number): { sink: LineSink; done: Promise<number>; count: () => number } {
  let n = 0;
  let finish: (ms: number) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    sink: {
      onLines: (lines) => {
        n += lines.length;
        if (n >= target) finish(performance.now());
      },
      onError: (err) => fail(err),
      onNotice: () => undefined,
    },
    done,
    count: () => n,
  };
}

export interface SourceThroughput {
  lines: number;
  bytes: number;
  seconds: number;
  linesPerSecond: number;
  megabytesPerSecond: number;
}

/** Lines/s of FileSource reading a pre-written file of `lines` lines from offset 0 (saved position). */
export async function benchFileSource(lines: number): Promise<SourceThroughput> {
  const dir = tempDir();
  try {
    const path = join(dir, 'auth.log');
    const text = logText(lines);
    writeFileSync(path, text);
    const st = statSync(path);
    const hash = firstLineHash(text.subarray(0, 4096))!;
    const store = new MemoryStore<Position>({ inode: st.ino, offset: 0, firstLineHash: hash });
    const src = new FileSource({ path, positions: store });
    const c = countingSink(lines);
    const t0 = performance.now();
    await src.start(c.sink);
    const t1 = await c.done;
    await src.stop();
    const seconds = (t1 - t0) / 1000;
    return { lines: c.count(), bytes: text.length, seconds, linesPerSecond: lines / seconds, megabytesPerSecond: text.length / 1e6 / seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Latency {
  n: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

/** Append → onLines latency over n single-line appends (one write each, like a syslog daemon), 2 ms apart. */
export async function benchAppendLatency(n: number): Promise<Latency> {
  const dir = tempDir();
  try {
    const path = join(dir, 'auth.log');
    writeFileSync(path, '');
    const src = new FileSource({ path, positions: new MemoryStore<Position>() });
    let waiter: (() => void) | null = null;
    await src.start({
      onLines: () => waiter?.(),
      onError: (err) => {
        throw err;
      },
      onNotice: () => undefined,
    });
    const fd = openSync(path, 'a');
    const line = Buffer.from('Nov 22 01:50:29 host sshd[4242]: Failed password for root from 203.0.113.9 port 50000 ssh2\n');
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const arrived = new Promise<void>((resolve) => (waiter = resolve));
      const t0 = performance.now();
      writeSync(fd, line);
      await arrived;
      samples.push(performance.now() - t0);
      // Each append finds the source idle (as a line after a quiet moment does), not mid-pass.
      await new Promise((r) => setTimeout(r, 2));
    }
    closeSync(fd);
    await src.stop();
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
    return { n, medianMs: at(0.5), p99Ms: at(0.99), maxMs: samples[samples.length - 1]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines/s of the pure splitter over an in-memory log cut into 256 KiB chunks. */
export function benchSplitter(lines: number): SourceThroughput {
  const text = logText(lines);
  const chunk = 256 * 1024;
  const s = new LineSplitter();
  let n = 0;
  const t0 = performance.now();
  for (let at = 0; at < text.length; at += chunk) n += s.push(text.subarray(at, at + chunk)).length;
  const seconds = (performance.now() - t0) / 1000;
  return { lines: n, bytes: text.length, seconds, linesPerSecond: n / seconds, megabytesPerSecond: text.length / 1e6 / seconds };
}
