// The supervisor machine under a simulated clock: start order, restarts with backoff and intensity,
// reload coalescing and refusal, shutdown order and drain timeouts, and the import boundary.
import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SimulatedClock,
  createActor,
  createMachine,
  fromCallback,
  fromPromise,
  type AnyActorLogic,
  type EventObject,
} from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.js';
import type { ChildSpec, ReloadResult, ReloaderInput, SupervisorInput } from '../../machines/supervisor-types.js';
import type { SupervisedChildEvent, SupervisorEvent, SupervisorNotice } from '../../src/core/events.js';
import type { RestartPolicy } from '../../src/core/supervisor-policy.js';

const flush = () => new Promise((r) => setImmediate(r));

/** Moves the clock 1 ms at a time, so each timer fires at its own time (increment jumps at once). */
function advance(clock: SimulatedClock, ms: number) {
  for (let i = 0; i < ms; i++) clock.increment(1);
}

/** What the test children did: starts, cleanups (stops) and received events, per id, in order. */
class Journal {
  lines: string[] = [];
  starts(id: string) { return this.lines.filter((l) => l === `start:${id}`).length; }
  stops() { return this.lines.filter((l) => l.startsWith('stop:')).map((l) => l.slice(5)); }
}

/** A child that records its start and cleanup, and throws when it receives `boom`. */
function recorder(j: Journal, id: string, opts: { crashAtStart?: boolean } = {}): AnyActorLogic {
  return fromCallback<EventObject>(({ receive }) => {
    j.lines.push(`start:${id}`);
    if (opts.crashAtStart) throw new Error(`${id} crashed`);
    receive((e) => {
      j.lines.push(`got:${id}:${e.type}`);
      if (e.type === 'boom') throw new Error(`${id} boom`);
    });
    return () => j.lines.push(`stop:${id}`);
  });
}

/** A promise child the test settles by hand. */
function oneShot(j: Journal, id: string) {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const logic = fromPromise(async () => {
    j.lines.push(`start:${id}`);
    await new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  });
  return {
    logic,
    resolve: () => pending.shift()?.resolve(),
    reject: () => pending.shift()?.reject(new Error(`${id} failed`)),
  };
}

/** A child that drains: on `drain` it works for drainMs (simulated), then reaches its final state. */
function drainer(j: Journal, id: string, drainMs: number): AnyActorLogic {
  return createMachine({
    id,
    initial: 'running',
    entry: () => j.lines.push(`start:${id}`),
    // the cleanup of an invoked callback runs whether the machine finishes or is stopped
    invoke: { src: fromCallback(() => () => j.lines.push(`stop:${id}`)) },
    states: {
      running: { on: { drain: 'draining' } },
      draining: { entry: () => j.lines.push(`draining:${id}`), after: { [drainMs]: 'done' } },
      done: { type: 'final' },
    },
  });
}

const spec = (id: string, logic: AnyActorLogic, extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id,
  logic,
  restart: 'permanent',
  ...extra,
});

interface StartOpts {
  policy?: Partial<RestartPolicy>;
  reloader?: (input: ReloaderInput) => Promise<ReloadResult>;
}

function start(children: ChildSpec[], opts: StartOpts = {}) {
  const clock = new SimulatedClock();
  const machine = opts.reloader
    ? supervisorMachine.provide({ actors: { reloader: fromPromise<ReloadResult, ReloaderInput>(({ input }) => opts.reloader!(input)) } })
    : supervisorMachine;
  const input: SupervisorInput = { children, now: () => clock.now(), ...(opts.policy ? { policy: opts.policy } : {}) };
  const actor = createActor(machine, { clock, input });
  const notices: SupervisorNotice[] = [];
  actor.on('supervisor.notice', (n) => notices.push(n));
  actor.start();
  const status = (id: string) => actor.getSnapshot().context.children[id];
  const send = (e: SupervisorEvent) => actor.send(e);
  return { actor, clock, notices, status, send };
}

// --- restarts --------------------------------------------------------------------------------

test('a crashing permanent child is restarted after 1 s, 2 s, 4 s, never earlier', async (t) => {
  const j = new Journal();
  const { clock, status } = start([spec('c', recorder(j, 'c', { crashAtStart: true }))]);
  t.is(j.starts('c'), 1);
  t.is(status('c')?.state, 'restarting');
  for (const [delay, startsAfter] of [[1000, 2], [2000, 3], [4000, 4]] as const) {
    clock.increment(delay - 1);
    t.is(j.starts('c'), startsAfter - 1, `not restarted 1 ms before ${delay} ms`);
    clock.increment(1);
    t.is(j.starts('c'), startsAfter, `restarted after ${delay} ms`);
  }
  t.is(status('c')?.restarts, 3);
  t.is(status('c')?.lastDelayMs, 8000);
  t.is(status('c')?.restartAt, 7000 + 8000);
});

test('backoff resets once the child was healthy for 60 s', async (t) => {
  const j = new Journal();
  const { actor, clock, status } = start([spec('c', recorder(j, 'c'))]);
  const boom = () => actor.system.get('c').send({ type: 'boom' });
  boom(); // t=0 -> restart at 1000
  clock.increment(1000);
  boom(); // t=1000, ran 0 s -> 2000
  t.is(status('c')?.lastDelayMs, 2000);
  clock.increment(2000);
  t.is(j.starts('c'), 3);
  clock.increment(59_999);
  boom(); // ran 59.999 s: still doubling
  t.is(status('c')?.lastDelayMs, 4000);
  clock.increment(4000);
  clock.increment(60_000);
  boom(); // ran 60 s: healthy, back to the initial delay
  t.is(status('c')?.lastDelayMs, 1000);
  clock.increment(999);
  t.is(j.starts('c'), 4);
  clock.increment(1);
  t.is(j.starts('c'), 5);
});

test('past the intensity (more than 5 restarts in 60 s) the supervisor gives up with exit code 1', async (t) => {
  const j = new Journal();
  const { actor, clock, notices } = start([
    spec('first', recorder(j, 'first')),
    spec('c', recorder(j, 'c', { crashAtStart: true })),
    spec('last', recorder(j, 'last')),
  ]);
  // crashes at 0, 1, 3, 7, 15 s are restarted; the crash at 31 s would be the 6th restart
  advance(clock, 30_999);
  t.is(actor.getSnapshot().status, 'active');
  t.is(j.starts('c'), 5);
  clock.increment(1);
  t.is(j.starts('c'), 6);
  const snap = actor.getSnapshot();
  t.is(snap.status, 'done');
  t.is(snap.output?.exitCode, 1);
  t.regex(snap.output?.reason ?? '', /'c'.*5 restarts within 60000 ms/);
  t.deepEqual(j.stops(), ['last', 'first'], 'the others are stopped in reverse start order');
  t.deepEqual(snap.children, {});
  t.true(notices.some((n) => n.level === 'error' && n.childId === 'c'));
});

test('a transient child that completes is not restarted; one that fails is', async (t) => {
  const j = new Journal();
  const ok = oneShot(j, 'ok');
  const bad = oneShot(j, 'bad');
  const { clock, status } = start([
    spec('ok', ok.logic, { restart: 'transient' }),
    spec('bad', bad.logic, { restart: 'transient' }),
  ]);
  await flush();
  ok.resolve();
  bad.reject();
  await flush();
  t.is(status('ok')?.state, 'done');
  t.is(status('bad')?.state, 'restarting');
  clock.increment(60_000);
  await flush();
  t.is(j.starts('ok'), 1);
  t.is(j.starts('bad'), 2);
});

test('a temporary child is never restarted, whether it fails or completes', async (t) => {
  const j = new Journal();
  const done = oneShot(j, 'done');
  const { clock, status } = start([
    spec('crash', recorder(j, 'crash', { crashAtStart: true }), { restart: 'temporary' }),
    spec('done', done.logic, { restart: 'temporary' }),
  ]);
  await flush();
  done.resolve();
  await flush();
  clock.increment(120_000);
  await flush();
  t.is(j.starts('crash'), 1);
  t.is(j.starts('done'), 1);
  t.is(status('crash')?.state, 'stopped');
  t.is(status('crash')?.lastExit?.kind, 'error');
  t.is(status('done')?.state, 'done');
});

test('a second report for a child with a pending restart does not add a restart', async (t) => {
  const j = new Journal();
  const { actor, clock } = start([spec('c', recorder(j, 'c', { crashAtStart: true })), spec('live', recorder(j, 'live'))]);
  // forged reports (xstate's own event names): one for the already handled crash, one for a live child
  const forge = (type: string) => (actor as unknown as { send(e: EventObject): void }).send({ type, error: new Error('forged') } as EventObject);
  forge('xstate.error.actor.c');
  forge('xstate.error.actor.live');
  t.is(actor.getSnapshot().context.children.live?.state, 'running');
  clock.increment(1000);
  t.is(j.starts('c'), 2, 'exactly one restart at 1 s');
  t.is(actor.getSnapshot().context.children.c?.lastDelayMs, 2000, 'the forged report did not advance the backoff');
  t.is(j.starts('live'), 1);
});

// --- start order and siblings ----------------------------------------------------------------

test('a child after an awaitDone child starts only once that one is done', async (t) => {
  const j = new Journal();
  const load = oneShot(j, 'load');
  const { status } = start([
    spec('writer', recorder(j, 'writer')),
    spec('load', load.logic, { restart: 'temporary', awaitDone: true }),
    spec('after', recorder(j, 'after')),
  ]);
  await flush();
  t.deepEqual(j.lines, ['start:writer', 'start:load']);
  t.is(status('after')?.state, 'waiting');
  load.resolve();
  await flush();
  t.deepEqual(j.lines, ['start:writer', 'start:load', 'start:after']);
  t.is(status('load')?.state, 'done');
});

test('a failing temporary awaitDone child is recorded and the rest still starts', async (t) => {
  const j = new Journal();
  const load = oneShot(j, 'load');
  const { actor, status, notices } = start([
    spec('load', load.logic, { restart: 'temporary', awaitDone: true }),
    spec('after', recorder(j, 'after')),
  ]);
  await flush();
  load.reject();
  await flush();
  t.is(j.starts('after'), 1);
  t.is(status('load')?.state, 'stopped');
  t.regex(status('load')?.lastExit?.error ?? '', /load failed/);
  t.true(notices.some((n) => n.childId === 'load' && n.level === 'warn'));
  t.true(actor.getSnapshot().matches({ active: { lifecycle: 'running' } }));
});

test('a failing permanent awaitDone child is retried before later children start', async (t) => {
  const j = new Journal();
  let attempt = 0;
  const flaky = fromPromise(async () => {
    j.lines.push('start:load');
    if (++attempt === 1) throw new Error('first try fails');
  });
  const { clock } = start([spec('load', flaky, { restart: 'transient', awaitDone: true }), spec('after', recorder(j, 'after'))]);
  await flush();
  t.is(j.starts('after'), 0);
  clock.increment(1000);
  await flush();
  t.is(j.starts('load'), 2);
  t.is(j.starts('after'), 1);
});

test('children find their siblings by id through the system', async (t) => {
  const j = new Journal();
  const caller = fromCallback(({ system }) => {
    system.get('callee').send({ type: 'hello' });
  });
  start([spec('callee', recorder(j, 'callee')), spec('caller', caller)]);
  t.true(j.lines.includes('got:callee:hello'));
});

// --- reload ----------------------------------------------------------------------------------

/** A reloader whose runs the test finishes by hand. */
function manualReloader(result: () => ReloadResult) {
  const runs: (() => void)[] = [];
  let count = 0;
  const reloader = async () => {
    count++;
    await new Promise<void>((r) => runs.push(r));
    return result();
  };
  return { reloader, count: () => count, finish: () => runs.shift()?.() };
}

test('three reload requests during one reload coalesce into exactly one more reload', async (t) => {
  const j = new Journal();
  const r = manualReloader(() => ({ ok: true, changes: { replace: [], update: [], rerun: [] } }));
  const { send, actor } = start([spec('a', recorder(j, 'a'))], { reloader: r.reloader });
  send({ type: 'reload.requested' });
  await flush();
  t.is(r.count(), 1);
  send({ type: 'reload.requested' });
  send({ type: 'reload.requested' });
  send({ type: 'reload.requested' });
  t.true(actor.getSnapshot().matches({ active: { reload: 'reloading', reloadRequest: 'pending' } }));
  r.finish();
  await flush();
  t.is(r.count(), 2);
  t.true(actor.getSnapshot().matches({ active: { reload: 'reloading', reloadRequest: 'none' } }));
  r.finish();
  await flush();
  t.is(r.count(), 2);
  t.true(actor.getSnapshot().matches({ active: { reload: 'idle', reloadRequest: 'none' } }));
});

test('a reload requested during startup runs once the startup is over', async (t) => {
  const j = new Journal();
  const load = oneShot(j, 'load');
  const r = manualReloader(() => ({ ok: true, changes: { replace: [], update: [], rerun: [] } }));
  const { send } = start([spec('load', load.logic, { restart: 'temporary', awaitDone: true })], { reloader: r.reloader });
  send({ type: 'reload.requested' });
  await flush();
  t.is(r.count(), 0);
  load.resolve();
  await flush();
  t.is(r.count(), 1);
});

test('a refused or failing reload leaves the running children untouched', async (t) => {
  const j = new Journal();
  let mode: 'refuse' | 'throw' = 'refuse';
  const { send, actor, notices } = start([spec('a', recorder(j, 'a')), spec('b', recorder(j, 'b'))], {
    reloader: async () => {
      if (mode === 'throw') throw new Error('config unreadable');
      return { ok: false, problems: ['watcher.yaml:3: unknown key "foo"'] };
    },
  });
  const before = [...j.lines];
  send({ type: 'reload.requested' });
  await flush();
  mode = 'throw';
  send({ type: 'reload.requested' });
  await flush();
  t.deepEqual(j.lines, before);
  const ctx = actor.getSnapshot().context;
  t.is(ctx.children.a?.state, 'running');
  t.is(ctx.lastReload?.outcome, 'refused');
  t.regex(ctx.lastReload?.problems[0] ?? '', /config unreadable/);
  t.true(notices.some((n) => n.level === 'error' && n.message.includes('unknown key "foo"')));
  t.true(actor.getSnapshot().matches({ active: { lifecycle: 'running', reload: 'idle' } }));
});

test('an accepted reload replaces, updates, reruns and removes children', async (t) => {
  const j = new Journal();
  const load1 = oneShot(j, 'load');
  const load2 = oneShot(j, 'load');
  const { send, actor, status } = start(
    [
      spec('writer', recorder(j, 'writer')),
      spec('load', load1.logic, { restart: 'temporary', awaitDone: true }),
      spec('mod', recorder(j, 'mod')),
      spec('keep', recorder(j, 'keep')),
      spec('gone', recorder(j, 'gone')),
    ],
    {
      reloader: async () => ({
        ok: true,
        changes: {
          replace: [spec('mod', recorder(j, 'mod2'))],
          update: [{ id: 'keep', event: { type: 'config.updated' } }],
          rerun: [spec('load', load2.logic, { restart: 'temporary' })],
          remove: ['gone'],
        },
      }),
    },
  );
  await flush();
  load1.resolve();
  await flush();
  j.lines.length = 0;
  send({ type: 'reload.requested' });
  await flush();
  t.deepEqual(j.lines, ['stop:gone', 'stop:mod', 'start:mod2', 'got:keep:config.updated', 'start:load']);
  t.is(status('gone'), undefined);
  t.is(status('mod')?.state, 'running');
  t.is(status('load')?.state, 'running');
  t.deepEqual(actor.getSnapshot().context.specs.map((s) => s.id), ['writer', 'load', 'mod', 'keep']);
  t.is(actor.getSnapshot().context.lastReload?.outcome, 'applied');
});

// --- shutdown --------------------------------------------------------------------------------

test('shutdown stops children in reverse start order and leaves no actor behind', async (t) => {
  const j = new Journal();
  const { send, actor, clock } = start([
    spec('a', recorder(j, 'a')),
    spec('b', recorder(j, 'b')),
    spec('crashy', recorder(j, 'crashy', { crashAtStart: true })),
    spec('c', recorder(j, 'c')),
  ]);
  t.is(actor.getSnapshot().context.children.crashy?.state, 'restarting');
  send({ type: 'shutdown.requested' });
  const snap = actor.getSnapshot();
  t.is(snap.status, 'done');
  t.deepEqual(snap.output, { exitCode: 0 });
  t.deepEqual(j.stops(), ['c', 'b', 'a']);
  t.deepEqual(snap.children, {});
  t.deepEqual(Object.keys(actor.system.getAll()), []);
  t.deepEqual(Object.values(snap.context.children).map((c) => c.state), ['stopped', 'stopped', 'stopped', 'stopped']);
  clock.increment(60_000);
  t.is(j.starts('crashy'), 1, 'the pending restart was cancelled');
});

test('a draining child is waited for, up to its shutdownTimeoutMs, then stopped anyway', async (t) => {
  const j = new Journal();
  const { send, actor, clock, notices } = start([
    spec('writer', drainer(j, 'writer', 300), { shutdownTimeoutMs: 1000 }),
    spec('slow', drainer(j, 'slow', 10_000), { shutdownTimeoutMs: 500 }),
    spec('plain', recorder(j, 'plain')),
  ]);
  send({ type: 'shutdown.requested' });
  t.deepEqual(j.stops(), ['plain']);
  t.true(j.lines.includes('draining:slow'));
  t.is(actor.getSnapshot().context.children.slow?.state, 'draining');
  clock.increment(499);
  t.false(j.lines.includes('stop:slow'), 'still draining 1 ms before the timeout');
  clock.increment(1);
  t.deepEqual(j.stops(), ['plain', 'slow']);
  t.true(notices.some((n) => n.childId === 'slow' && /timed out after 500 ms/.test(n.message)));
  t.true(j.lines.includes('draining:writer'));
  clock.increment(299);
  t.is(actor.getSnapshot().status, 'active');
  clock.increment(1);
  t.deepEqual(j.stops(), ['plain', 'slow', 'writer'], 'writer drained in 300 ms, before its timeout');
  t.is(actor.getSnapshot().status, 'done');
  t.deepEqual(actor.getSnapshot().output, { exitCode: 0 });
  t.deepEqual(Object.keys(actor.system.getAll()), []);
});

// --- the boundary: nothing but the supervisor's owner asks for a reload or a restart ------------

test('children cannot ask for a reload or restart: not in their vocabulary, not sent from actors/ or machines/', (t) => {
  // compile-time: the child-facing union holds none of the supervisor's requests
  type Forbidden = Extract<SupervisedChildEvent['type'], SupervisorEvent['type'] | `supervisor.${string}`>;
  const none: [Forbidden] extends [never] ? true : false = true;
  t.true(none);

  const root = fileURLToPath(new URL('../../', import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(join(root, dir)).flatMap((name) => {
      const rel = join(dir, name);
      return statSync(join(root, rel)).isDirectory() ? files(rel) : /\.[cm]?[jt]s$/.test(name) ? [rel] : [];
    });
  const forbidden = /['"`](reload\.requested|shutdown\.requested|supervisor\.(restart\.due|give-up))['"`]|\bSupervisorEvent\b/;
  const offenders = [...files('actors'), ...files('machines')]
    .filter((f) => !/^machines\/supervisor(-[a-z]+)?\.ts$/.test(f))
    .filter((f) => forbidden.test(readFileSync(join(root, f), 'utf8')));
  t.deepEqual(offenders, []);
});
