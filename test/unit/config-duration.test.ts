// Config durations: every accepted spelling with its milliseconds, and every refusal with its message.
import test from 'ava';
import { parseDuration } from '../../src/config/duration.js';

// JSON would print NaN and Infinity both as null, and ava refuses duplicate titles.
const show = (v: unknown): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));

const accepted: [unknown, number][] = [
  [90, 90_000],
  [0, 0],
  [0.5, 500],
  [1.001, 1_001],
  ['30', 30_000],
  ['90s', 90_000],
  ['5m', 300_000],
  ['1h', 3_600_000],
  ['7d', 604_800_000],
  ['2w', 1_209_600_000],
  ['250ms', 250],
  ['1.5h', 5_400_000],
  ['1h30m', 5_400_000],
  ['1m 30s', 90_000],
  ['  10 s ', 10_000],
];

for (const [input, ms] of accepted) {
  test(`duration ${show(input)} is ${ms} ms`, (t) => {
    t.deepEqual(parseDuration(input), { ok: true, ms });
  });
}

const refused: [unknown, RegExp][] = [
  ['', /empty duration/],
  ['5 minutes', /"5 minutes" is not a duration/],
  ['5x', /is not a duration/],
  ['m5', /is not a duration/],
  ['-5s', /is not a duration/],
  [-5, /negative/],
  ['1.0001', /finer than a millisecond/],
  ['0.5ms', /finer than a millisecond/],
  [Number.POSITIVE_INFINITY, /is not a duration/],
  [Number.NaN, /is not a duration/],
  [1e300, /too long/],
  [true, /expected a duration, got boolean true/],
  [null, /expected a duration, got nothing/],
  [['5m'], /expected a duration, got a list/],
  [{ m: 5 }, /expected a duration, got a map/],
];

for (const [input, message] of refused) {
  test(`duration ${show(input)} is refused`, (t) => {
    const result = parseDuration(input);
    if (result.ok) return t.fail(`accepted as ${result.ms} ms`);
    t.regex(result.message, message);
  });
}
