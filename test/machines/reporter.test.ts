// The reporter machine with a simulated clock: it waits the first delay, produces, then waits what the
// run said; drain stops it in any state; a produce that rejects errors the actor (the supervisor restarts it).
import test from 'ava';
import { SimulatedClock, createActor, fromPromise } from 'xstate';
import { reporterMachine, type ReportRun } from '../../machines/reporter.js';

const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function harness(nextDelayMs = 86_400_000) {
  const clock = new SimulatedClock();
  const runs: number[] = [];
  const logged: ReportRun[] = [];
  const logic = reporterMachine.provide({
    actors: {
      produce: fromPromise<ReportRun>(async () => {
        runs.push(clock.now());
        return { at: clock.now(), outcome: 'done', file: null, mailed: 0, error: null, nextDelayMs };
      }),
    },
    actions: { logRun: (_, { run }) => void logged.push(run) },
  });
  const actor = createActor(logic, { clock, input: { firstDelayMs: 5_000 } }).start();
  return { clock, runs, logged, actor };
}

test('first run after firstDelayMs, then one per returned delay', async (t) => {
  const h = harness(60_000);
  h.clock.increment(4_999);
  await flush();
  t.deepEqual(h.runs, []);
  h.clock.increment(1);
  await flush();
  t.deepEqual(h.runs, [5_000]);
  t.is(h.actor.getSnapshot().value, 'waiting');
  h.clock.increment(60_000);
  await flush();
  t.deepEqual(h.runs, [5_000, 65_000]);
  t.is(h.actor.getSnapshot().context.runs, 2);
  t.is(h.logged.length, 2);
  h.actor.stop();
});

test('drain stops it while waiting; no run afterwards', async (t) => {
  const h = harness();
  h.actor.send({ type: 'drain' });
  t.is(h.actor.getSnapshot().status, 'done');
  h.clock.increment(10_000);
  await flush();
  t.deepEqual(h.runs, []);
});

test('an unexpected failure of produce errors the actor (restart is the supervisor’s)', async (t) => {
  const clock = new SimulatedClock();
  const logic = reporterMachine.provide({
    actors: {
      produce: fromPromise<ReportRun>(async () => {
        throw new Error('boom');
      }),
    },
  });
  const actor = createActor(logic, { clock, input: { firstDelayMs: 10 } });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();
  clock.increment(10);
  await flush();
  t.is(actor.getSnapshot().status, 'error');
  t.is(errors.length, 1);
});
