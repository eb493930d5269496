// The hot-path budget: 100,000 detections in batches of 1000 recorded well under a second, with a flush
// every 10 batches as the module's timer would (the figure is printed; the assertion allows for a shared,
// busy test machine).
import test from 'ava';
import { benchRecord } from '../bench/db.bench.js';

test('benchRecord: 100,000 detections in batches of 1000', (t) => {
  benchRecord(10_000); // warm-up: JIT and page cache
  const r = benchRecord(100_000, { flushEvery: 10 });
  t.log(`${r.detections} detections in ${r.seconds.toFixed(3)} s wall, ${r.cpuSeconds.toFixed(3)} s CPU (${r.perSecond}/s), ${r.bans} bans; close ${r.closeSeconds.toFixed(3)} s`);
  t.true(r.bans > 0, 'the generated input reaches the limit');
  t.true(r.cpuSeconds < 1.5, `took ${r.cpuSeconds} s of CPU`);
});
