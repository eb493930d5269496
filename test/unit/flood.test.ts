// WB flood counting: exactly one flood per pair and window, pairs and vhosts kept apart, windows restart.
import test from 'ava';
import { FloodCounter } from '../../src/core/module/flood.js';

test('the request after the limit within the window is a flood, once per window', (t) => {
  const f = new FloodCounter(3, 1000);
  const hits = [0, 100, 200, 300, 400, 500].map((ms) => f.hit('a.example', '192.0.2.1', 10_000 + ms));
  t.deepEqual(hits, [false, false, false, true, false, false]);
  // a new window starts from its first request
  t.false(f.hit('a.example', '192.0.2.1', 11_000));
  t.deepEqual([1, 2, 3].map((k) => f.hit('a.example', '192.0.2.1', 11_000 + k)), [false, false, true]);
});

test('clients and vhosts count apart', (t) => {
  const f = new FloodCounter(1, 1000);
  t.false(f.hit('a.example', '192.0.2.1', 0));
  t.false(f.hit('b.example', '192.0.2.1', 1));
  t.false(f.hit('a.example', '192.0.2.2', 2));
  t.true(f.hit('a.example', '192.0.2.1', 3));
  t.true(f.hit('b.example', '192.0.2.1', 4));
  t.is(f.tracked, 3);
});

test('pairs of past windows are pruned and their slots reused', (t) => {
  const f = new FloodCounter(2, 1000);
  for (let i = 0; i < 5000; i++) f.hit('a.example', `10.0.${i >> 8}.${i & 255}`, 0);
  t.is(f.tracked, 5000);
  f.hit('a.example', '192.0.2.9', 5000);
  t.is(f.tracked, 1, 'everything older than a window is gone');
  for (let i = 0; i < 3; i++) f.hit('b.example', '192.0.2.9', 5001 + i);
  t.is(f.tracked, 2);
});

test('a limit of 0 turns counting off', (t) => {
  const f = new FloodCounter(0, 1000);
  for (let i = 0; i < 10; i++) t.false(f.hit('a.example', '192.0.2.1', i));
  t.is(f.tracked, 0);
});
