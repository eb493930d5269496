// fw-writer machine with a simulated clock and a recording backend (pure logic of the queue,
// retries, drift repair and draining; the real backends are tested in namespaces).
import test from 'ava';
import { createActor, SimulatedClock, createMachine, type AnyActorRef } from 'xstate';
import { fwWriterLogic } from '../../actors/fw-writer.js';
import type { Drift, FirewallBackend } from '../../actors/fw/backend.js';
import type { EntryOp, ExpectedSet, FirewallPlan, PlannedSet } from '../../src/core/fw-plan.js';
import { emptyEntries } from '../../src/core/fw-plan.js';
import { loggerFor } from '../../src/log.js';

class RecordingBackend implements FirewallBackend {
  readonly name = 'dry-run' as const;
  calls: string[] = [];
  batches: EntryOp[][] = [];
  failNext = 0;
  drifts: Drift[] = [];
  pending: (() => void)[] = [];
  hold = false;
  inFlight = 0;
  maxInFlight = 0;
  async probe() { return []; }
  private async step(label: string) {
    this.calls.push(label);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (this.hold) await new Promise<void>((r) => this.pending.push(r));
      if (this.failNext > 0) { this.failNext--; throw new Error(`${label} failed`); }
    } finally {
      this.inFlight--;
    }
  }
  async applyPlan(plan: FirewallPlan) { await this.step(`plan:${plan.sets.length}`); return { perSource: [], total: 0, seconds: 0 }; }
  async replaceSet(set: PlannedSet) { await this.step(`replace:${set.source}`); return { perSource: [], total: 0, seconds: 0 }; }
  async applyBatch(ops: EntryOp[]) { await this.step(`batch:${ops.length}`); this.batches.push(ops); }
  async verify(_e: ExpectedSet[]) { this.calls.push('verify'); return this.drifts; }
  async teardown() { await this.step('teardown'); }
  async close() {}
  release() { const p = this.pending; this.pending = []; p.forEach((r) => r()); }
}

const flush = () => new Promise((r) => setImmediate(r));
const ban = (ip: string): EntryOp => ({ op: 'add', source: 'mod:LG', entry: ip, family: 4 });
/** an entry for the one set the test plan has */
const listed = (ip: string): EntryOp => ({ ...ban(ip), source: 'blacklist' });
const plan: FirewallPlan = { sets: [{ source: 'blacklist', verdict: 'drop', entries: { ...emptyEntries(), v4: Uint32Array.of(1) } }] };

function start(backend: RecordingBackend) {
  const clock = new SimulatedClock();
  const logic = fwWriterLogic({ backend, rebuildPlan: async () => plan, log: loggerFor('test') });
  const actor = createActor(logic, { clock, input: { verifyIntervalMs: 60_000, retryInitialMs: 1000, retryMaxMs: 30_000 } });
  actor.start();
  return { actor, clock };
}

/** A requester that records the replies it gets. */
function requester() {
  const replies: { type: string; opId: string }[] = [];
  const ref = createActor(createMachine({ on: { '*': { actions: ({ event }) => replies.push(event as never) } } }));
  ref.start();
  return { ref: ref as AnyActorRef, replies };
}

test('a burst of bans queued behind a running job is applied as one batch, all replied', async (t) => {
  const b = new RecordingBackend();
  const { actor } = start(b);
  await flush();
  const r = requester();
  b.hold = true;
  actor.send({ type: 'ban.requested', opId: 'a', ops: [ban('192.0.2.1')], replyTo: r.ref });
  await flush();
  for (let i = 2; i <= 50; i++) actor.send({ type: 'ban.requested', opId: `b${i}`, ops: [ban(`192.0.2.${i}`)], replyTo: r.ref });
  b.hold = false;
  b.release();
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['batch:1', 'batch:49']);
  t.is(r.replies.filter((x) => x.type === 'fw.applied').length, 50);
  t.is(actor.getSnapshot().context.queue.length, 0);
});

test('a failing batch is retried with backoff and no ban is lost', async (t) => {
  const b = new RecordingBackend();
  const { actor, clock } = start(b);
  await flush();
  b.failNext = 2;
  actor.send({ type: 'ban.requested', opId: 'x', ops: [ban('198.51.100.9')] });
  for (let i = 0; i < 5; i++) await flush();
  t.deepEqual(b.calls, ['batch:1']);
  t.true(actor.getSnapshot().matches({ active: { work: 'backoff' } }));
  clock.increment(999);
  await flush();
  t.is(b.calls.length, 1, 'not retried before the first backoff (1 s) elapsed');
  clock.increment(1);
  for (let i = 0; i < 5; i++) await flush();
  t.is(b.calls.length, 2);
  clock.increment(1999);
  await flush();
  t.is(b.calls.length, 2, 'second backoff doubles to 2 s');
  clock.increment(1);
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['batch:1', 'batch:1', 'plan:1', 'batch:1'], 'after two failures the plan is repaired first');
  t.is(b.batches.length, 1, 'the third attempt succeeded');
  t.is(b.batches[0]![0]!.entry, '198.51.100.9');
  t.is(actor.getSnapshot().context.queue.length, 0);
});

test('periodic verify finds drift and re-applies the rebuilt plan', async (t) => {
  const b = new RecordingBackend();
  const { actor, clock } = start(b);
  await flush();
  actor.send({ type: 'plan.apply', opId: 'p', plan });
  for (let i = 0; i < 5; i++) await flush();
  t.deepEqual(b.calls, ['plan:1']);
  b.drifts = [{ what: 'table inet watcher is missing' }];
  clock.increment(60_000);
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['plan:1', 'verify', 'plan:1']);
  b.drifts = [];
  clock.increment(60_000);
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['plan:1', 'verify', 'plan:1', 'verify']);
});

test('no verify before anything was applied; drain finishes the queue then stops', async (t) => {
  const b = new RecordingBackend();
  const { actor, clock } = start(b);
  await flush();
  clock.increment(120_000);
  await flush();
  t.deepEqual(b.calls, []);
  b.hold = true;
  actor.send({ type: 'ban.requested', opId: '1', ops: [ban('203.0.113.1')] });
  await flush();
  actor.send({ type: 'unban.requested', opId: '2', ops: [{ ...ban('203.0.113.1'), op: 'del' }] });
  actor.send({ type: 'drain' });
  await flush();
  t.is(actor.getSnapshot().status, 'active', 'still working on the queue');
  b.hold = false;
  b.release();
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['batch:1', 'batch:1']);
  t.is(actor.getSnapshot().status, 'done');
});

test('a newer full plan supersedes a queued one and both requesters hear the outcome', async (t) => {
  const b = new RecordingBackend();
  const { actor } = start(b);
  await flush();
  const r = requester();
  b.hold = true;
  actor.send({ type: 'ban.requested', opId: 'first', ops: [ban('192.0.2.7')] });
  await flush();
  actor.send({ type: 'plan.apply', opId: 'p1', plan, replyTo: r.ref });
  actor.send({ type: 'plan.apply', opId: 'p2', plan, replyTo: r.ref });
  b.hold = false;
  b.release();
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['batch:1', 'plan:1']);
  t.deepEqual(r.replies.map((x) => x.opId).sort(), ['p1', 'p2']);
});


test('a restarted writer verifies what its previous incarnation applied and repairs drift at once', async (t) => {
  const b = new RecordingBackend();
  const logic = fwWriterLogic({ backend: b, rebuildPlan: async () => plan, log: loggerFor('test') });
  const input = { verifyIntervalMs: 60_000, retryInitialMs: 1000, retryMaxMs: 30_000 };
  const first = createActor(logic, { clock: new SimulatedClock(), input }).start();
  first.send({ type: 'plan.apply', opId: 'p', plan });
  for (let i = 0; i < 5; i++) await flush();
  first.stop();
  b.drifts = [{ what: 'set wt-bl-4 is empty' }];
  createActor(logic, { clock: new SimulatedClock(), input }).start();
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['plan:1', 'verify', 'plan:1']);
});

test('live changes for a source without a set are refused at once, the rest is applied', async (t) => {
  const b = new RecordingBackend();
  const { actor } = start(b);
  await flush();
  actor.send({ type: 'plan.apply', opId: 'p', plan });
  for (let i = 0; i < 5; i++) await flush();
  const r = requester();
  actor.send({ type: 'ban.requested', opId: 'mixed', ops: [ban('192.0.2.9'), { ...ban('192.0.2.10'), source: 'blacklist' }], replyTo: r.ref });
  for (let i = 0; i < 5; i++) await flush();
  t.deepEqual(r.replies.map((x) => x.type), ['fw.failed']);
  t.deepEqual(b.calls, ['plan:1', 'batch:1']);
  t.is(b.batches[0]![0]!.entry, '192.0.2.10');
});

test('a steady stream of bans does not postpone the periodic drift check', async (t) => {
  const b = new RecordingBackend();
  const { actor, clock } = start(b);
  await flush();
  actor.send({ type: 'plan.apply', opId: 'p', plan });
  for (let i = 0; i < 5; i++) await flush();
  // a ban every 10 s: the writer is never idle for a whole verify interval (60 s)
  for (let s = 10; s <= 70; s += 10) {
    clock.increment(10_000);
    actor.send({ type: 'ban.requested', opId: `b${s}`, ops: [listed(`192.0.2.${s}`)] });
    for (let i = 0; i < 5; i++) await flush();
  }
  t.is(b.calls.filter((c) => c === 'verify').length, 1, 'verified once in 70 s');
  t.is(b.calls.indexOf('verify'), 1 + 5, 'at 60 s, after the five bans before it');
});

test('a drift check that falls due while a job runs waits for it, and only one job is ever in flight', async (t) => {
  const b = new RecordingBackend();
  const { actor, clock } = start(b);
  await flush();
  actor.send({ type: 'plan.apply', opId: 'p', plan });
  for (let i = 0; i < 5; i++) await flush();
  b.hold = true;
  actor.send({ type: 'ban.requested', opId: 'slow', ops: [listed('198.51.100.1')] });
  await flush();
  clock.increment(60_000);
  for (let i = 0; i < 5; i++) await flush();
  for (let i = 2; i <= 5; i++) actor.send({ type: 'ban.requested', opId: `n${i}`, ops: [listed(`198.51.100.${i}`)] });
  for (let i = 0; i < 5; i++) await flush();
  t.deepEqual(b.calls, ['plan:1', 'batch:1'], 'nothing else starts while the batch is in flight');
  b.hold = false;
  b.release();
  for (let i = 0; i < 10; i++) await flush();
  t.deepEqual(b.calls, ['plan:1', 'batch:1', 'batch:4', 'verify'], 'queued work first, then the check');
  t.is(b.maxInFlight, 1);
});
