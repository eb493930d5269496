// The shared download gate: bounded concurrency and starts at least the spacing apart.
import test from 'ava';
import { spacedLimit } from '../../actors/dynload/spaced-limit.js';

test('downloads of different loaders start at least the spacing apart and never more than the concurrency at once', async (t) => {
  const gate = spacedLimit(2, 40);
  const starts: number[] = [];
  let running = 0;
  let most = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, (_, i) =>
      gate(`l${i}`, async () => {
        starts.push(Date.now() - t0);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
      }),
    ),
  );
  t.true(most <= 2);
  for (let i = 1; i < starts.length; i++) t.true(starts[i]! - starts[i - 1]! >= 35, `start ${i} at ${starts[i]} ms after ${starts[i - 1]} ms`);
});

test('the same loader run again is not held back by the spacing', async (t) => {
  const gate = spacedLimit(2, 10_000);
  const t0 = Date.now();
  await gate('a', async () => undefined);
  await gate('a', async () => undefined);
  t.true(Date.now() - t0 < 1_000);
});
