// Table-driven tests of the supervisor's restart policy: OTP restart modes, backoff, intensity window.
import test from 'ava';
import {
  DEFAULT_RESTART_POLICY,
  decideExit,
  nextBackoff,
  pruneWindow,
  resolvePolicy,
  shouldRestart,
  type ExitFacts,
  type ExitKind,
  type RestartMode,
  type RestartPolicy,
} from '../../src/core/supervisor-policy.js';

const P: RestartPolicy = resolvePolicy();

test('defaults: 5 restarts in 60 s, 1 s doubling to 30 s, reset after a healthy minute', (t) => {
  t.deepEqual(P, {
    intensity: 5,
    periodMs: 60_000,
    backoffInitialMs: 1_000,
    backoffMaxMs: 30_000,
    backoffFactor: 2,
    healthyAfterMs: 60_000,
  });
  t.true(Object.isFrozen(DEFAULT_RESTART_POLICY));
});

const modes: [RestartMode, ExitKind, boolean][] = [
  ['permanent', 'error', true],
  ['permanent', 'done', true],
  ['transient', 'error', true],
  ['transient', 'done', false],
  ['temporary', 'error', false],
  ['temporary', 'done', false],
];
for (const [mode, exit, expected] of modes) {
  test(`shouldRestart: ${mode} after ${exit} -> ${expected}`, (t) => {
    t.is(shouldRestart(mode, exit), expected);
  });
}

const backoffs: { name: string; policy?: Partial<RestartPolicy>; previous: number | null; ranFor: number; expected: number }[] = [
  { name: 'first restart', previous: null, ranFor: 0, expected: 1_000 },
  { name: 'doubles', previous: 1_000, ranFor: 10, expected: 2_000 },
  { name: 'doubles again', previous: 4_000, ranFor: 59_999, expected: 8_000 },
  { name: 'capped at the maximum', previous: 16_000, ranFor: 0, expected: 30_000 },
  { name: 'stays at the maximum', previous: 30_000, ranFor: 0, expected: 30_000 },
  { name: 'reset after a healthy minute', previous: 30_000, ranFor: 60_000, expected: 1_000 },
  { name: 'configurable factor and cap', policy: { backoffFactor: 3, backoffMaxMs: 5_000 }, previous: 1_000, ranFor: 0, expected: 3_000 },
  { name: 'configurable cap reached', policy: { backoffFactor: 3, backoffMaxMs: 5_000 }, previous: 3_000, ranFor: 0, expected: 5_000 },
  { name: 'configurable healthy time', policy: { healthyAfterMs: 5_000 }, previous: 8_000, ranFor: 5_000, expected: 1_000 },
];
for (const c of backoffs) {
  test(`nextBackoff: ${c.name}`, (t) => {
    t.is(nextBackoff(resolvePolicy(c.policy), c.previous, c.ranFor), c.expected);
  });
}

test('pruneWindow keeps only the restarts inside the period ending now', (t) => {
  t.deepEqual(pruneWindow(P, [0, 1_000, 1_001, 60_000], 61_000), [1_001, 60_000]);
  t.deepEqual(pruneWindow(P, [0], 60_000), [], 'a restart exactly one period ago is outside');
  t.deepEqual(pruneWindow(P, [], 5), []);
});

const base: ExitFacts = { childId: 'c', mode: 'permanent', exit: 'error', startedAt: 0, previousDelayMs: null, window: [], now: 0 };
const decisions: { name: string; facts: Partial<ExitFacts>; policy?: Partial<RestartPolicy>; expected: ReturnType<typeof decideExit> }[] = [
  { name: 'temporary failure is left stopped', facts: { mode: 'temporary' }, expected: { kind: 'leave', state: 'stopped' } },
  { name: 'transient completion is left done', facts: { mode: 'transient', exit: 'done' }, expected: { kind: 'leave', state: 'done' } },
  { name: 'temporary completion is left done', facts: { mode: 'temporary', exit: 'done' }, expected: { kind: 'leave', state: 'done' } },
  {
    name: 'first failure restarts after the initial delay and opens the window',
    facts: { now: 500 },
    expected: { kind: 'restart', delayMs: 1_000, window: [500] },
  },
  {
    name: 'permanent completion restarts too',
    facts: { exit: 'done', now: 10, previousDelayMs: 2_000, startedAt: 5 },
    expected: { kind: 'restart', delayMs: 4_000, window: [10] },
  },
  {
    name: 'the 5th restart in the period is still allowed',
    facts: { window: [1, 2, 3, 4], now: 5, previousDelayMs: 8_000 },
    expected: { kind: 'restart', delayMs: 16_000, window: [1, 2, 3, 4, 5] },
  },
  {
    name: 'the 6th restart in the period gives up',
    facts: { window: [1, 2, 3, 4, 5], now: 6 },
    expected: {
      kind: 'give-up',
      reason: "child 'c' ended (error) and the tree would exceed 5 restarts within 60000 ms",
      window: [1, 2, 3, 4, 5, 6],
    },
  },
  {
    name: 'old restarts fall out of the window',
    facts: { window: [0, 1, 2, 3, 70_000], now: 70_001, startedAt: 70_000, previousDelayMs: 1_000 },
    expected: { kind: 'restart', delayMs: 2_000, window: [70_000, 70_001] },
  },
  {
    name: 'intensity 0 gives up at the first restart',
    policy: { intensity: 0 },
    facts: {},
    expected: { kind: 'give-up', reason: "child 'c' ended (error) and the tree would exceed 0 restarts within 60000 ms", window: [0] },
  },
  {
    name: 'a temporary child never counts towards the intensity',
    facts: { mode: 'temporary', window: [1, 2, 3, 4, 5] },
    expected: { kind: 'leave', state: 'stopped' },
  },
];
for (const c of decisions) {
  test(`decideExit: ${c.name}`, (t) => {
    t.deepEqual(decideExit(resolvePolicy(c.policy), { ...base, ...c.facts }), c.expected);
  });
}

const invalid: [string, Partial<RestartPolicy>][] = [
  ['negative intensity', { intensity: -1 }],
  ['fractional intensity', { intensity: 1.5 }],
  ['zero period', { periodMs: 0 }],
  ['cap below the initial delay', { backoffInitialMs: 5_000, backoffMaxMs: 1_000 }],
  ['shrinking backoff', { backoffFactor: 0.5 }],
  ['negative healthy time', { healthyAfterMs: -1 }],
];
for (const [name, policy] of invalid) {
  test(`resolvePolicy refuses ${name}`, (t) => {
    t.throws(() => resolvePolicy(policy), { instanceOf: RangeError });
  });
}
