// The expirer machine under the real supervisor with a simulated clock: runs every interval, asks every
// running module, `expire.now` runs at once, requests during a run coalesce into one more run, and a
// module that never answers (or is not running) cannot wedge it.
import test from 'ava';
import { SimulatedClock, createActor, fromCallback, fromPromise, type AnyActorRef } from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.js';
import type { ChildSpec, ReloadResult, ReloaderInput } from '../../machines/supervisor-types.js';
import { expirerMachine, type ExpirerContext, type ExpiryDue, type ExpiryRun, type ExpirerInput } from '../../machines/expirer.js';

const MIN = 60_000;

/** How a fake module answers `expiry.due`: at once, only when the test says so, or never. */
type Mode = 'answer' | 'manual' | 'silent';

function harness(modes: Record<string, Mode>, extra: Partial<ExpirerInput> = {}) {
  const clock = new SimulatedClock();
  const dues: Record<string, ExpiryDue[]> = {};
  const held: ExpiryDue[] = [];
  const runs: ExpiryRun[] = [];
  const answer = (module: string, due: ExpiryDue, bansEnded = 1) =>
    due.replyTo.send({
      type: 'expiry.done',
      report: { module, runId: due.runId, bansEnded, affairsDeleted: 10, offendersDeleted: 2, bansDeleted: 0, vacuumed: false, ms: 1 },
    });
  const fakeModule = (id: string, mode: Mode) =>
    fromCallback<ExpiryDue>(({ receive }) => {
      receive((e) => {
        if (e.type !== 'expiry.due') return;
        (dues[id] ??= []).push(e);
        if (mode === 'answer') answer(id, e);
        if (mode === 'manual') held.push(e);
      });
    });
  const modules = Object.keys(modes).map((m) => `module:${m}`);
  const input: ExpirerInput = { intervalMs: MIN, patienceMs: 30_000, modules: [...modules, 'module:WB'], now: () => clock.now(), ...extra };
  const children: ChildSpec[] = [
    { id: 'expirer', logic: expirerMachine.provide({ actions: { report: (_, p) => void runs.push(p.run) } }), input, restart: 'permanent' },
    ...modules.map((id) => ({ id, logic: fakeModule(id, modes[id.slice(7)]!), restart: 'permanent' as const })),
  ];
  const reloader = fromPromise<ReloadResult, ReloaderInput>(async () => ({ ok: true, changes: { replace: [], update: [], rerun: [] } }));
  const sup = createActor(supervisorMachine.provide({ actors: { reloader } }), { clock, input: { children, now: () => clock.now() } }).start();
  const expirer = sup.system.get('expirer') as AnyActorRef;
  return {
    clock,
    dues,
    held,
    runs,
    expirer,
    answer,
    ctx: () => expirer.getSnapshot().context as ExpirerContext,
    state: () => JSON.stringify(expirer.getSnapshot().value),
    count: (m: string) => dues[`module:${m}`]?.length ?? 0,
  };
}

test('every interval each running module gets expiry.due with the run time; answers make the run', (t) => {
  const h = harness({ LG: 'answer', MX: 'answer' });
  t.is(h.ctx().nextRunAt, MIN);
  h.clock.increment(MIN - 1);
  t.is(h.count('LG'), 0, 'not before the interval');
  h.clock.increment(1);
  t.is(h.count('LG'), 1);
  t.is(h.count('MX'), 1);
  t.is(h.dues['module:LG']![0]!.now, MIN, 'the module ages out at the run time');
  t.is(h.state(), '"idle"', 'both answered: the run is over');
  t.is(h.runs.length, 1);
  t.deepEqual(h.runs[0]!.reports.map((r) => r.module).sort(), ['module:LG', 'module:MX']);
  t.deepEqual(h.runs[0]!.unanswered, [], 'module:WB is not running: skipped, not awaited');
  t.like(h.ctx().totals, { runs: 1, bansEnded: 2, affairsDeleted: 20, offendersDeleted: 4, unanswered: 0 });
  t.is(h.ctx().nextRunAt, 2 * MIN);
  h.clock.increment(MIN);
  t.is(h.count('LG'), 2, 'and again one interval later');
  t.is(h.ctx().last?.id, 2);
});

test('expire.now runs at once and the interval counts from its end', (t) => {
  const h = harness({ LG: 'answer' });
  h.clock.increment(10_000);
  h.expirer.send({ type: 'expire.now' });
  t.is(h.count('LG'), 1);
  t.is(h.dues['module:LG']![0]!.now, 10_000);
  t.is(h.state(), '"idle"');
  h.clock.increment(MIN - 1);
  t.is(h.count('LG'), 1);
  h.clock.increment(1);
  t.is(h.count('LG'), 2);
});

test('requests during a run coalesce into exactly one more run', (t) => {
  const h = harness({ LG: 'manual' });
  h.expirer.send({ type: 'expire.now' });
  t.is(h.count('LG'), 1);
  t.is(h.state(), '{"running":"once"}');
  for (let i = 0; i < 50; i++) h.expirer.send({ type: 'expire.now' });
  t.is(h.count('LG'), 1, 'nothing more is asked while the module works');
  t.is(h.state(), '{"running":"again"}');
  h.answer('module:LG', h.held.shift()!);
  t.is(h.count('LG'), 2, 'one more run right after');
  t.is(h.state(), '{"running":"once"}');
  h.answer('module:LG', h.held.shift()!);
  t.is(h.state(), '"idle"');
  t.is(h.count('LG'), 2, '50 requests cost one extra run');
  t.is(h.runs.length, 2);
});

test('a module that never answers does not wedge the expirer; its late answer is ignored', (t) => {
  const h = harness({ LG: 'answer', MB: 'silent' });
  h.clock.increment(MIN);
  t.is(h.state(), '{"running":"once"}', 'waiting for MB');
  h.expirer.send({ type: 'expire.now' });
  h.clock.increment(30_000 - 1);
  t.is(h.runs.length, 0);
  h.clock.increment(1);
  t.is(h.runs.length, 1, 'the run ends after the patience');
  t.deepEqual(h.runs[0]!.unanswered, ['module:MB']);
  t.deepEqual(h.runs[0]!.reports.map((r) => r.module), ['module:LG']);
  t.is(h.count('LG'), 2, 'the coalesced request ran next');
  t.is(h.ctx().current?.id, 2);
  // MB answers the first run at last: it belongs to a finished run and is not counted twice
  const late = h.dues['module:MB']![0]!;
  h.answer('module:MB', late, 99);
  t.is(h.ctx().totals.bansEnded, 1);
  h.clock.increment(30_000);
  t.is(h.state(), '"idle"');
  t.is(h.ctx().totals.unanswered, 2);
  t.is(h.ctx().totals.bansEnded, 2, 'the late answer never counted');
  h.clock.increment(MIN);
  t.is(h.count('LG'), 3, 'scheduled runs go on');
});

test('with no module running a run ends at once', (t) => {
  const h = harness({});
  h.expirer.send({ type: 'expire.now' });
  t.is(h.state(), '"idle"');
  t.is(h.runs.length, 1);
  t.deepEqual(h.runs[0]!.reports, []);
});

test('config.updated: the next runs use the new interval and module list', (t) => {
  const h = harness({ LG: 'answer', MX: 'answer' });
  h.expirer.send({ type: 'config.updated', settings: { intervalMs: 5 * MIN, patienceMs: 30_000, modules: ['module:MX'] } });
  h.clock.increment(MIN);
  t.is(h.count('MX'), 1, 'the interval already running keeps its time');
  t.is(h.count('LG'), 0, 'LG is no longer asked');
  h.clock.increment(MIN);
  t.is(h.count('MX'), 1, 'now every 5 min');
  h.clock.increment(4 * MIN);
  t.is(h.count('MX'), 2);
  t.is(h.count('LG'), 0);
});
