// The dynloader machine under the real supervisor: a crashing loader is restarted with backoff and
// never triggers a reload nor touches fw-writer or other loaders; 100 rapid `dynload` calls coalesce.
import test from 'ava';
import { SimulatedClock, createActor, fromCallback, fromPromise, type AnyActorRef } from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.js';
import type { ChildSpec, ReloadResult, ReloaderInput } from '../../machines/supervisor-types.js';
import { dynloaderMachine, type DynloaderInput, type Fetched, type ReadyList } from '../../machines/dynloader.js';
import type { FwWriterEvent } from '../../src/core/events.js';
import { emptyEntries } from '../../src/core/fw-plan.js';

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

const INPUT: DynloaderInput = {
  name: 'x',
  checksum: null,
  etag: null,
  lastModified: null,
  lastSuccessAt: null,
  intervalMs: 3_600_000,
  minSpacingMs: 0,
  firstDelayMs: 3_600_000,
  handoverPatienceMs: 60_000,
};

function harness() {
  const starts: Record<string, number> = {};
  const replaces: string[] = [];
  let fetches = 0;
  let crashNext = false;
  let release: (() => void) | null = null;
  let checksum = 0;
  const fw = fromCallback<FwWriterEvent>(({ receive }) => {
    starts['fw-writer'] = (starts['fw-writer'] ?? 0) + 1;
    receive((e) => {
      if (e.type !== 'set.replace') return;
      replaces.push(e.set.source);
      e.replyTo?.send({ type: 'fw.applied', opId: e.opId });
    });
  });
  const loader = (name: string) =>
    dynloaderMachine.provide({
      actors: {
        fetch: fromPromise<Fetched, { etag: string | null; lastModified: string | null }>(async () => {
          fetches++;
          await new Promise<void>((r) => (release = r));
          return { kind: 'body', text: 'x', at: 0 };
        }),
        validate: fromPromise<ReadyList, { text: string }>(async () => ({ entries: emptyEntries(), body: '', checksum: `c${++checksum}`, count: 0, notes: [] })),
        store: fromPromise<void, { ready: ReadyList; fetched: Extract<Fetched, { kind: 'body' }> }>(async () => undefined),
      },
      actions: {
        publish: () => {
          if (name === 'x' && crashNext) {
            crashNext = false;
            throw new Error('loader bug');
          }
        },
      },
    });
  let reloads = 0;
  const reloader = fromPromise<ReloadResult, ReloaderInput>(async () => {
    reloads++;
    return { ok: true, changes: { replace: [], update: [], rerun: [] } };
  });
  const children: ChildSpec[] = [
    { id: 'fw-writer', logic: fw, restart: 'permanent' },
    { id: 'dynloader:x', logic: loader('x'), input: INPUT, restart: 'permanent' },
    { id: 'dynloader:y', logic: loader('y'), input: { ...INPUT, name: 'y' }, restart: 'permanent' },
  ];
  const clock = new SimulatedClock();
  const sup = createActor(supervisorMachine.provide({ actors: { reloader } }), { clock, input: { children, now: () => clock.now() } }).start();
  return {
    sup,
    clock,
    starts,
    replaces,
    get fetches() {
      return fetches;
    },
    get reloads() {
      return reloads;
    },
    crash: () => (crashNext = true),
    release: () => release?.(),
    dl: (n: string) => sup.system.get(`dynloader:${n}`) as AnyActorRef,
    status: (id: string) => sup.getSnapshot().context.children[id],
  };
}

test('a crashing loader is restarted with backoff; no reload, fw-writer and the other loader untouched', async (t) => {
  const h = harness();
  const y = h.dl('y');
  h.crash();
  h.dl('x').send({ type: 'dynload.now', at: 0 });
  await flush();
  h.release();
  await flush();
  t.deepEqual(h.replaces, ['dl:x'], 'the list went in before the crash');
  t.is(h.status('dynloader:x')?.state, 'restarting');
  h.clock.increment(999);
  t.is(h.status('dynloader:x')?.state, 'restarting', 'not before the backoff');
  h.clock.increment(1);
  t.is(h.status('dynloader:x')?.state, 'running');
  t.is(h.status('dynloader:x')?.restarts, 1);
  t.is(h.reloads, 0, 'a loader crash never triggers a reload');
  t.is(h.starts['fw-writer'], 1, 'fw-writer was not restarted');
  t.is(h.status('dynloader:y')?.restarts, 0);
  t.is(h.dl('y'), y, 'the other loader is the same actor');
  t.is(h.dl('x').getSnapshot().value, 'idle');
});

test('100 rapid dynload requests coalesce into one download and one set.replace', async (t) => {
  const h = harness();
  const x = h.dl('x');
  for (let i = 0; i < 100; i++) x.send({ type: 'dynload.now', at: i });
  await flush();
  t.is(x.getSnapshot().value, 'fetching');
  h.release();
  await flush();
  t.is(h.fetches, 1);
  t.deepEqual(h.replaces, ['dl:x']);
  t.is(x.getSnapshot().value, 'idle');
});

test('a Spamhaus loader refuses a manual run within its minimum spacing', async (t) => {
  const logs: string[] = [];
  let fetches = 0;
  const logic = dynloaderMachine.provide({
    actors: {
      fetch: fromPromise<Fetched, { etag: string | null; lastModified: string | null }>(async () => {
        fetches++;
        return { kind: 'not-modified', at: 1_000 };
      }),
    },
    actions: { report: (_, p) => logs.push(p.message) },
  });
  const a = createActor(logic, { input: { ...INPUT, minSpacingMs: 3_600_000 } }).start();
  a.send({ type: 'dynload.now', at: 1_000 });
  await flush();
  t.is(fetches, 1);
  a.send({ type: 'dynload.now', at: 1_000 + 3_599_999 });
  await flush();
  t.is(fetches, 1);
  t.true(logs.some((l) => l.includes('manual run refused')));
  a.send({ type: 'dynload.now', at: 1_000 + 3_600_000 });
  await flush();
  t.is(fetches, 2);
  a.stop();
});
