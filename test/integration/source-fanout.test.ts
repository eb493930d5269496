// Fanout with real file sources: one read for several subscribers, the first starting and the last
// stopping the source, a throwing subscriber isolated, a source failure told to all and a fresh
// source on the next subscribe.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CollectSink } from '../../actors/sources/collect-sink.js';
import { Fanout, lineBroadcast } from '../../actors/sources/fanout.js';
import { FileSource } from '../../actors/sources/file-source.js';
import type { Position } from '../../actors/sources/position.js';
import type { LineSink, Source } from '../../actors/sources/source.js';
import { MemoryStore } from '../../actors/sources/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tempFile(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-fan-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'shared.log');
  writeFileSync(path, '');
  return path;
}

/** A factory that counts the sources it made. */
function factory(path: string, store = new MemoryStore<Position>()): { create: () => FileSource; made: FileSource[] } {
  const made: FileSource[] = [];
  return {
    made,
    create: () => {
      const s = new FileSource({ path, positions: store, pollMs: 50 });
      made.push(s);
      return s;
    },
  };
}

test('one file read once for two subscribers; the last to leave stops it', async (t) => {
  const path = tempFile(t);
  const fan = new Fanout<LineSink>(lineBroadcast);
  const f = factory(path);
  const a = new CollectSink();
  const b = new CollectSink();
  const id = `file:${path}`;
  const subA = await fan.subscribe(id, f.create, a);
  const subB = await fan.subscribe(id, f.create, b);
  t.is(f.made.length, 1, 'started once');
  appendFileSync(path, 'x\ny\n');
  await a.untilLines(2);
  await b.untilLines(2);
  t.deepEqual(a.lines, ['x', 'y']);
  t.deepEqual(b.lines, ['x', 'y']);
  t.is(f.made[0]!.bytesRead, 4, 'read once');
  await subA.close();
  t.is(f.made[0]!.status, 'following', 'still running for B');
  appendFileSync(path, 'z\n');
  await b.untilLines(3);
  t.is(a.lines.length, 2);
  await subB.close();
  t.is(f.made[0]!.status, 'stopped');
  t.deepEqual(fan.sources, []);
  await subB.close(); // idempotent
  const c = new CollectSink();
  const subC = await fan.subscribe(id, f.create, c);
  t.is(f.made.length, 2, 'a new subscriber after the last left starts a new source');
  appendFileSync(path, 'w\n');
  await c.untilLines(1);
  t.deepEqual(c.lines, ['w'], 'resumed from the shared saved position: nothing doubled');
  await subC.close();
});

test('a subscriber that throws is told and dropped; the others keep their lines', async (t) => {
  const path = tempFile(t);
  const fan = new Fanout<LineSink>(lineBroadcast);
  const f = factory(path);
  const good = new CollectSink();
  const badErrors: Error[] = [];
  const bad: LineSink = {
    onLines: () => {
      throw new Error('module bug');
    },
    onError: (e) => badErrors.push(e),
    onNotice: () => undefined,
  };
  const subBad = await fan.subscribe('s', f.create, bad);
  const subGood = await fan.subscribe('s', f.create, good);
  appendFileSync(path, '1\n');
  await good.untilLines(1);
  appendFileSync(path, '2\n');
  await good.untilLines(2);
  t.deepEqual(good.lines, ['1', '2']);
  t.is(badErrors.length, 1);
  t.is(badErrors[0]!.message, 'module bug');
  t.deepEqual(fan.sources.map((s) => s.subscribers), [1]);
  await subBad.close();
  await subGood.close();
  t.is(f.made[0]!.status, 'stopped');
});

test('a source failure reaches every subscriber once, and the next subscribe starts a fresh source', async (t) => {
  const fan = new Fanout<LineSink>(lineBroadcast);
  let started = 0;
  let stopped = 0;
  let sinkOfSource: LineSink | null = null;
  const create = (): Source<LineSink> => ({
    id: 'fake',
    linesRead: 0,
    linesCut: 0,
    bytesRead: 0,
    start: async (sink) => {
      started++;
      sinkOfSource = sink;
    },
    stop: async () => {
      stopped++;
    },
  });
  const a = new CollectSink();
  const b = new CollectSink();
  await fan.subscribe('fake', create, a);
  await fan.subscribe('fake', create, b);
  sinkOfSource!.onLines(['hello']);
  sinkOfSource!.onError(new Error('disk gone'));
  await sleep(10);
  t.deepEqual(a.lines, ['hello']);
  t.deepEqual(b.lines, ['hello']);
  t.deepEqual(a.errors.map((e) => e.message), ['disk gone']);
  t.deepEqual(b.errors.map((e) => e.message), ['disk gone']);
  t.is(stopped, 1);
  await fan.subscribe('fake', create, new CollectSink());
  t.is(started, 2);
});

test('a source that fails to start rejects every waiting subscriber and leaves nothing behind', async (t) => {
  const fan = new Fanout<LineSink>(lineBroadcast);
  const create = (): Source<LineSink> => ({
    id: 'bad',
    linesRead: 0,
    linesCut: 0,
    bytesRead: 0,
    start: async () => {
      await sleep(20);
      throw new Error('cannot open');
    },
    stop: async () => undefined,
  });
  const p1 = fan.subscribe('bad', create, new CollectSink());
  const p2 = fan.subscribe('bad', create, new CollectSink());
  await t.throwsAsync(p1, { message: 'cannot open' });
  await t.throwsAsync(p2, { message: 'cannot open' });
  t.deepEqual(fan.sources, []);
});
