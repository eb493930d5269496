// FileSource against real files: first run at the end, prompt delivery through inotify, partial and
// over-long lines, invalid UTF-8, rename rotation with late writes to the old file, copytruncate,
// vanish and reappear, and restarts in between counted line by line (none lost, none doubled).
import { appendFileSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import test, { type ExecutionContext } from 'ava';
import { CollectSink } from '../../actors/sources/collect-sink.js';
import { decideResume, type ResumeDecision } from '../../actors/sources/file-resume.js';
import { FileSource, type FileSourceOptions } from '../../actors/sources/file-source.js';
import { MAX_BURST } from '../../actors/sources/source.js';
import { firstLineHash, type Position } from '../../actors/sources/position.js';
import { JsonFileStore, MemoryStore } from '../../actors/sources/stores.js';
import { xorshift32 as rng } from '../helpers/prng.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function follow(t: ExecutionContext, opts: Partial<FileSourceOptions> & { path: string }): Promise<{ src: FileSource; sink: CollectSink; store: MemoryStore<Position> }> {
  const store = (opts.positions as MemoryStore<Position> | undefined) ?? new MemoryStore<Position>();
  const src = new FileSource({ pollMs: 50, rotateWaitMs: 300, ...opts, positions: store });
  const sink = new CollectSink();
  await src.start(sink);
  t.teardown(() => src.stop());
  return { src, sink, store };
}

const numbered = (prefix: string, from: number, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix} ${from + i}`);
const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');

test('the very first run starts at the end and saves that position at once', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, text(['old 1', 'old 2', 'old 3']));
  const { src, sink, store } = await follow(t, { path });
  t.deepEqual(store.load(), { inode: statSync(path).ino, offset: 18, firstLineHash: firstLineHash(Buffer.from('old 1\n'))! });
  appendFileSync(path, text(['new 1', 'new 2']));
  await sink.untilLines(2);
  await sleep(100);
  t.deepEqual(sink.lines, ['new 1', 'new 2']);
  t.is(src.linesRead, 2);
  t.is(src.bytesRead, 12);
  t.is(store.load()?.offset, 30);
});

test('full reads come as a burst of at most MAX_BURST batches, the position saved only at its end, an empty batch ending a burst the file ended in', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const store = new MemoryStore<Position>();
  const saved: number[] = [];
  const save = store.save.bind(store);
  store.save = (p: Position) => {
    saved.push(p.offset);
    save(p);
  };
  const { sink } = await follow(t, { path, positions: store, readBytes: 1024 });
  saved.length = 0;
  // 10 KiB of 64-byte lines in one write: ten full reads, then nothing
  const lines = numbered('line', 0, 160).map((l) => l.padEnd(63, '.'));
  appendFileSync(path, text(lines));
  await sink.untilLines(160);
  await sink.until(() => sink.more.at(-1) === false, 2000, 'the end of the burst');
  t.deepEqual(sink.lines, lines);
  t.true(sink.more.includes(true), `a burst: ${JSON.stringify(sink.more)}`);
  let run = 0;
  let bytes = 0;
  const ends: number[] = [];
  sink.more.forEach((more, i) => {
    bytes += sink.batches[i]! * 64;
    run = more ? run + 1 : 0;
    t.true(run < MAX_BURST, `at most ${MAX_BURST - 1} batches in a row with more`);
    if (!more) ends.push(bytes);
  });
  t.deepEqual(saved, ends, 'a position is saved after each batch that ends a burst, and only then');
  if (sink.more.at(-2) === true) t.is(sink.batches.at(-1), 0, 'the file ended on a full buffer: an empty batch ends the burst');
});

test('a partial last line at start is delivered once its newline comes', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, 'old\nhalf');
  const { sink } = await follow(t, { path });
  appendFileSync(path, ' done\n');
  await sink.untilLines(1);
  t.deepEqual(sink.lines, ['half done']);
});

test('appended lines arrive within a few ms through inotify (poll disabled)', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const { sink } = await follow(t, { path, pollMs: 60_000 });
  const lat: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    appendFileSync(path, `line ${i}\n`);
    await sink.untilLines(i + 1, 1000);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  t.log(`append → onLines: median ${lat[10]!.toFixed(2)} ms, max ${lat[19]!.toFixed(2)} ms`);
  // Typically well under 1 ms; the bounds leave room for a busy machine, and the 60 s poll proves
  // that inotify, not polling, delivered them.
  t.true(lat[10]! < 100, `median ${lat[10]} ms`);
  t.true(lat[19]! < 1000, `max ${lat[19]} ms`);
  t.deepEqual(sink.lines, numbered('line', 0, 20));
});

test('a partial last line waits for its newline', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const { sink, store } = await follow(t, { path });
  appendFileSync(path, 'a\nhalf of');
  await sink.untilLines(1);
  await sleep(200);
  t.deepEqual(sink.lines, ['a']);
  t.is(store.load()?.offset, 2, 'the saved position stays before the partial line');
  appendFileSync(path, ' it\n');
  await sink.untilLines(2);
  t.deepEqual(sink.lines, ['a', 'half of it']);
  t.is(store.load()?.offset, 13);
});

test('a 200 KiB line is cut to 64 KiB and counted, and reading goes on', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const { src, sink } = await follow(t, { path });
  appendFileSync(path, `before\n${'A'.repeat(200 * 1024)}\nafter\n`);
  await sink.untilLines(3);
  t.is(sink.lines[0], 'before');
  t.is(sink.lines[1]!.length, 64 * 1024);
  t.is(sink.lines[2], 'after');
  t.is(src.linesCut, 1);
  t.true(sink.notices.some((n) => n.includes('cut')));
  t.deepEqual(sink.errors, []);
});

test('invalid UTF-8 becomes replacement characters, CRLF loses its CR', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const { sink } = await follow(t, { path });
  appendFileSync(path, Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x0a, 0xc3, 0xa9, 0x0d, 0x0a]));
  await sink.untilLines(2);
  t.deepEqual(sink.lines, ['bad\ufffd\ufffd', 'é']);
});

test('rename rotation: lines written to the old file after the rename are drained, the new file read from its start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'auth.log');
  writeFileSync(path, '');
  const { sink } = await follow(t, { path, rotateWaitMs: 500 });
  // A writer like rsyslog: keeps its descriptor on the old file until it reopens the path.
  const old = openSync(path, 'a');
  writeSync(old, text(numbered('A', 0, 100)));
  await sink.untilLines(100);
  renameSync(path, `${path}.1`);
  writeSync(old, text(numbered('B', 0, 50))); // after the rename, before the new file exists
  await sleep(30);
  writeSync(old, text(numbered('B', 50, 50)));
  writeFileSync(path, text(numbered('C', 0, 100))); // logrotate's create + the writer's first lines
  await sleep(20);
  writeSync(old, text(numbered('D', 0, 10))); // late: the writer has not reopened yet
  closeSync(old);
  const fresh = openSync(path, 'a');
  writeSync(fresh, text(numbered('E', 0, 10)));
  closeSync(fresh);
  await sink.untilLines(320);
  await sleep(700);
  t.is(sink.lines.length, 320, 'none doubled');
  const got = new Set(sink.lines);
  for (const l of [...numbered('A', 0, 100), ...numbered('B', 0, 100), ...numbered('C', 0, 100), ...numbered('D', 0, 10), ...numbered('E', 0, 10)]) t.true(got.has(l), l);
  t.true(sink.lines.indexOf('B 99') < sink.lines.indexOf('C 0'), 'the old file is finished before the new one starts');
  t.true(sink.notices.some((n) => n.includes('rotated')));
  t.true(sink.notices.some((n) => n.includes('done with the rotated file')));
});

test('copytruncate: the file shrinks below the offset and is read again from its start', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const { sink } = await follow(t, { path });
  appendFileSync(path, text(numbered('before', 0, 50)));
  await sink.untilLines(50);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  await sleep(100);
  appendFileSync(path, text(numbered('after', 0, 5)));
  await sink.untilLines(55);
  await sleep(100);
  t.deepEqual(sink.lines.slice(50), numbered('after', 0, 5));
  t.true(sink.notices.some((n) => n.includes('truncated')));
});

test('the file vanishes and reappears: no crash, a notice, the new file read from its start', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const { src, sink } = await follow(t, { path, rotateWaitMs: 100 });
  appendFileSync(path, 'one\n');
  await sink.untilLines(1);
  unlinkSync(path);
  await sink.until(() => sink.notices.some((n) => n.includes('vanished')), 2000, 'vanish notice');
  await sleep(300);
  t.is(src.status, 'absent');
  writeFileSync(path, 'two\nthree\n');
  await sink.untilLines(3);
  t.deepEqual(sink.lines, ['one', 'two', 'three']);
  t.deepEqual(sink.errors, []);
});

test('a file that does not exist at start is waited for, then read from its start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'sub', 'auth.log'); // even the directory is missing
  const { src, sink } = await follow(t, { path });
  t.is(src.status, 'absent');
  t.true(sink.notices.some((n) => n.includes('waiting for')));
  await sleep(150);
  t.is(sink.notices.filter((n) => n.includes('waiting for')).length, 1, 'noticed once, not once per poll');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(path, 'first\nsecond\n');
  await sink.untilLines(2);
  t.deepEqual(sink.lines, ['first', 'second']);
});

test('a directory at the path: start rejects', async (t) => {
  const dir = tempDir(t);
  const src = new FileSource({ path: dir, positions: new MemoryStore() });
  await t.throwsAsync(src.start(new CollectSink()), { code: 'EISDIR' });
  t.is(src.status, 'failed');
});

test('a consumer that throws fails the source through onError and its batch is not acknowledged', async (t) => {
  const path = join(tempDir(t), 'auth.log');
  writeFileSync(path, '');
  const store = new MemoryStore<Position>();
  const src = new FileSource({ path, positions: store, pollMs: 50 });
  const errors: Error[] = [];
  await src.start({
    onLines: () => {
      throw new Error('consumer bug');
    },
    onError: (e) => errors.push(e),
    onNotice: () => undefined,
  });
  appendFileSync(path, 'x\n');
  await sleep(200);
  t.is(errors.length, 1);
  t.is(errors[0]!.message, 'consumer bug');
  t.is(src.status, 'failed');
  t.is(store.load()?.offset, 0, 'position not moved past the failed batch');
  await src.stop();
});

test('restart after rotation while stopped: the rotated file is finished from the saved offset first', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'auth.log');
  const posFile = join(dir, 'pos.json');
  writeFileSync(path, '');
  const store = new JsonFileStore<Position>(join(dir, 'pos.json'));
  let src = new FileSource({ path, positions: store, pollMs: 50 });
  let sink = new CollectSink();
  await src.start(sink);
  appendFileSync(path, text(numbered('a', 0, 10)));
  await sink.untilLines(10);
  await src.stop();
  appendFileSync(path, text(numbered('a', 10, 5))); // while stopped, into the file then rotated
  renameSync(path, `${path}.1`);
  writeFileSync(path, text(numbered('b', 0, 5)));
  src = new FileSource({ path, positions: new JsonFileStore<Position>(posFile), pollMs: 50 });
  sink = new CollectSink();
  await src.start(sink);
  t.teardown(() => src.stop());
  await sink.untilLines(10);
  await sleep(100);
  t.deepEqual(sink.lines, [...numbered('a', 10, 5), ...numbered('b', 0, 5)]);
  t.true(sink.notices.some((n) => n.includes('rotated while stopped')));
});

test('restart after copytruncate while stopped: read from the start of the truncated file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'auth.log');
  writeFileSync(path, '');
  const store = new MemoryStore<Position>();
  let src = new FileSource({ path, positions: store, pollMs: 50 });
  let sink = new CollectSink();
  await src.start(sink);
  appendFileSync(path, text(numbered('x', 0, 20)));
  await sink.untilLines(20);
  await src.stop();
  truncateSync(path, 0);
  appendFileSync(path, text(['y 0']));
  src = new FileSource({ path, positions: store, pollMs: 50 });
  sink = new CollectSink();
  await src.start(sink);
  t.teardown(() => src.stop());
  await sink.untilLines(1);
  t.deepEqual(sink.lines, ['y 0']);
});

test('stop, append, start again, many times, with rotations and partial lines: every line exactly once, in order', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'auth.log');
  const posFile = join(dir, 'pos.json');
  writeFileSync(path, '');
  const r = rng(1234);
  const written: string[] = [];
  const received: string[] = [];
  let pending = ''; // a line being written in pieces, possibly across a restart
  let seq = 0;
  let rotations = 0;
  const writeSome = () => {
    const n = 1 + (r() % 400);
    let chunk = pending;
    for (let i = 0; i < n; i++) {
      const line = `line ${seq++} ${'x'.repeat(r() % 120)}`;
      written.push(line);
      chunk += `${line}\n`;
    }
    // Sometimes leave the next line half written.
    if (r() % 3 === 0) {
      const line = `line ${seq++} split`;
      written.push(line);
      const cut = 1 + (r() % (line.length - 1));
      chunk += line.slice(0, cut);
      pending = line.slice(cut);
      appendFileSync(path, chunk);
      appendFileSync(path, ''); // no-op: the second half comes with a later batch
      return;
    }
    pending = '';
    appendFileSync(path, chunk);
  };
  const flushPending = () => {
    if (pending !== '') appendFileSync(path, `${pending}\n`);
    pending = '';
  };
  for (let round = 0; round < 12; round++) {
    const src = new FileSource({ path, positions: new JsonFileStore<Position>(posFile), pollMs: 30, rotateWaitMs: 100 });
    const sink = { onLines: (ls: string[]) => received.push(...ls), onError: (e: Error) => t.fail(e.message), onNotice: () => undefined };
    await src.start(sink);
    for (let b = 0; b < 1 + (r() % 4); b++) {
      if (pending !== '' && r() % 2 === 0) {
        // finish the split line before writing more
        appendFileSync(path, `${pending}\n`);
        pending = '';
      }
      if (pending === '') writeSome();
      await sleep(r() % 40);
    }
    // Stop at a random moment, sometimes while lines are still unread.
    await src.stop();
    flushPending();
    if (round === 0) continue; // round 0 only set the position (first run starts at the end)
    if (r() % 2 === 0) writeSome();
    flushPending();
    if (r() % 4 === 0) {
      renameSync(path, `${path}.${++rotations}`); // rotation while stopped
      writeFileSync(path, '');
      if (r() % 2 === 0) writeSome();
      flushPending();
    }
  }
  // A last run reads whatever is left.
  const src = new FileSource({ path, positions: new JsonFileStore<Position>(posFile), pollMs: 30, rotateWaitMs: 100 });
  await src.start({ onLines: (ls) => received.push(...ls), onError: (e) => t.fail(e.message), onNotice: () => undefined });
  const deadline = Date.now() + 5000;
  while (received.length < written.length && Date.now() < deadline) await sleep(20);
  await sleep(200);
  await src.stop();
  t.log(`${written.length} lines written over 13 runs with ${rotations} rotations while stopped`);
  // Lines written before round 0 started do not exist (the first run started at the end of an empty file).
  t.is(received.length, written.length, 'none lost, none doubled');
  t.deepEqual(received, written);
});

const decisions: [string, Position | null, { inode: number; size: number; hash: string | null }, ResumeDecision][] = [
  ['no saved position', null, { inode: 1, size: 10, hash: 'h' }, { kind: 'end' }],
  ['same file', { inode: 1, offset: 5, firstLineHash: 'h' }, { inode: 1, size: 10, hash: 'h' }, { kind: 'resume', offset: 5 }],
  ['same file, nothing new', { inode: 1, offset: 10, firstLineHash: 'h' }, { inode: 1, size: 10, hash: 'h' }, { kind: 'resume', offset: 10 }],
  ['offset 0 needs no hash', { inode: 1, offset: 0, firstLineHash: '' }, { inode: 1, size: 10, hash: 'h' }, { kind: 'resume', offset: 0 }],
  ['shorter than the offset', { inode: 1, offset: 50, firstLineHash: 'h' }, { inode: 1, size: 10, hash: 'h' }, { kind: 'truncated' }],
  ['same inode, other first line', { inode: 1, offset: 5, firstLineHash: 'h' }, { inode: 1, size: 10, hash: 'other' }, { kind: 'replaced' }],
  ['same inode, first line incomplete now', { inode: 1, offset: 5, firstLineHash: 'h' }, { inode: 1, size: 10, hash: null }, { kind: 'replaced' }],
  ['other inode', { inode: 1, offset: 5, firstLineHash: 'h' }, { inode: 2, size: 10, hash: 'h' }, { kind: 'rotated' }],
];
for (const [name, saved, now, expected] of decisions) {
  test(`resume decision: ${name}`, (t) => {
    t.deepEqual(decideResume(saved, now), expected);
  });
}
