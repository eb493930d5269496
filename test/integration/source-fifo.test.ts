// FifoSource against real named pipes and real writer processes: creation with mode 0600, writers
// closing and reopening, an absent writer, a slow consumer under a fast writer, a regular file at
// the path refused, and a FIFO removed under the reader.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stat as statAsync } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { CollectSink } from '../../actors/sources/collect-sink.js';
import { FifoSource } from '../../actors/sources/fifo-source.js';
import { WatcherError } from '../../src/core/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-fifo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One writer session in its own process, like a syslog daemon: open, write, close. */
function writeFifo(path: string, data: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'cat > "$1"', 'sh', path], { stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', resolve);
    child.stdin.end(data);
  });
}

async function reader(t: ExecutionContext, path: string, checkMs = 1000): Promise<{ src: FifoSource; sink: CollectSink }> {
  const src = new FifoSource({ path, checkMs });
  const sink = new CollectSink();
  await src.start(sink);
  t.teardown(() => src.stop());
  return { src, sink };
}

const numbered = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');

test('creates the FIFO (and its directory) with mode 0600 when missing', async (t) => {
  const path = join(tempDir(t), 'run', 'LG.fifo');
  const { sink } = await reader(t, path);
  const st = statSync(path);
  t.true(st.isFIFO());
  t.is(st.mode & 0o777, 0o600);
  t.true(sink.notices.some((n) => n.includes('created FIFO')));
});

test('lines keep flowing while writers close and reopen the FIFO (syslog restarts)', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  const { src, sink } = await reader(t, path);
  for (let session = 0; session < 5; session++) {
    t.is(await writeFifo(path, text(numbered(`s${session}`, 100))), 0);
    await sink.untilLines((session + 1) * 100);
  }
  t.deepEqual(sink.lines, [0, 1, 2, 3, 4].flatMap((s) => numbered(`s${s}`, 100)));
  t.is(src.linesRead, 500);
  t.deepEqual(sink.errors, []);
  t.is(src.status, 'reading');
});

test('a line left partial by one writer session is completed by the next', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  const { sink } = await reader(t, path);
  await writeFifo(path, 'one\ntw');
  await sink.untilLines(1);
  await sleep(50);
  t.deepEqual(sink.lines, ['one']);
  await writeFifo(path, 'o\n');
  await sink.untilLines(2);
  t.deepEqual(sink.lines, ['one', 'two']);
});

test('an absent writer never blocks: start returns, timers fire, the fs thread pool stays free', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  const t0 = performance.now();
  const { src } = await reader(t, path);
  const startMs = performance.now() - t0;
  // A blocking open or read would hang the loop (open without O_NONBLOCK) or hold pool threads
  // (fs reads on a pipe): both would stall these. Bounds are loose: the machine may be busy.
  const t1 = performance.now();
  await sleep(20);
  const timerMs = performance.now() - t1;
  const t2 = performance.now();
  await Promise.all(Array.from({ length: 16 }, () => statAsync(path)));
  const poolMs = performance.now() - t2;
  t.log(`start ${startMs.toFixed(1)} ms, 20 ms timer after ${timerMs.toFixed(1)} ms, 16 parallel fs calls ${poolMs.toFixed(1)} ms`);
  t.true(startMs < 2000);
  t.true(timerMs < 1000);
  t.true(poolMs < 1000);
  t.is(src.status, 'reading');
});

test('a slow consumer under a fast writer loses nothing and the event loop stays responsive', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  const src = new FifoSource({ path });
  let got = 0;
  let inOrder = true;
  const sink = new CollectSink();
  await src.start({
    onLines: (lines) => {
      for (const l of lines) if (Number(l) !== ++got) inOrder = false;
      const until = performance.now() + 0.5; // a consumer that takes its time with every batch
      while (performance.now() < until);
    },
    onError: (e) => sink.onError(e),
    onNotice: () => undefined,
  });
  t.teardown(() => src.stop());
  let ticks = 0;
  const iv = setInterval(() => ticks++, 5);
  const n = 300_000;
  const writer = spawn('sh', ['-c', `seq 1 ${n} > "$1"`, 'sh', path], { stdio: 'ignore' });
  await new Promise((r) => writer.on('close', r));
  const deadline = Date.now() + 10_000;
  while (got < n && Date.now() < deadline) await sleep(10);
  clearInterval(iv);
  t.is(got, n);
  t.true(inOrder);
  t.true(ticks > 0, 'timers ran while the pipe was busy');
  t.deepEqual(sink.errors, []);
});

test('a regular file at the FIFO path is refused with a clear error and left alone', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  writeFileSync(path, 'precious\n');
  const src = new FifoSource({ path });
  const err = await t.throwsAsync(src.start(new CollectSink()), { instanceOf: WatcherError });
  t.is((err as WatcherError).code, 'WATCHER_E_IO');
  t.regex(err!.message, /LG\.fifo exists and is a regular file, not a FIFO/);
  t.log((err as WatcherError).describe());
  t.is(readFileSync(path, 'utf8'), 'precious\n');
  t.is(src.status, 'failed');
});

test('an existing FIFO with a wider mode is narrowed to 0600', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  execFileSync('mkfifo', ['-m', '0644', path]);
  chmodSync(path, 0o644);
  const { sink } = await reader(t, path);
  t.is(statSync(path).mode & 0o777, 0o600);
  t.true(sink.notices.some((n) => n.includes('set to 0600')));
});

test('a FIFO removed under the reader is recreated and read again', async (t) => {
  const path = join(tempDir(t), 'LG.fifo');
  const { sink } = await reader(t, path, 50);
  await writeFifo(path, 'before\n');
  await sink.untilLines(1);
  unlinkSync(path);
  await sink.until(() => sink.notices.some((n) => n.includes('removed')), 2000, 'removal notice');
  await sink.until(() => {
    try {
      return statSync(path).isFIFO();
    } catch {
      return false;
    }
  }, 2000, 'FIFO recreated');
  await sleep(50);
  await writeFifo(path, 'after\n');
  await sink.untilLines(2);
  t.deepEqual(sink.lines, ['before', 'after']);
  t.deepEqual(sink.errors, []);
});
