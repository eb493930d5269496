// The pure parts of the metrics: the loopback-only listen address, totals that survive actor
// restarts, and the dynloader board that counts finished runs by outcome.
import test from 'ava';
import { parseLoopbackListen } from '../../src/core/listen-address.js';
import { GrowingTotals, IncarnationTotals } from '../../src/adapters/metrics/totals.js';
import { DynloadRunBoard } from '../../src/adapters/metrics/dynload-board.js';
import type { DynloadStatus } from '../../actors/dynload/dynloader.js';

const accepted: [string, string, number][] = [
  ['127.0.0.1:9797', '127.0.0.1', 9797],
  ['127.5.6.7:80', '127.5.6.7', 80],
  ['[::1]:9797', '::1', 9797],
  ['[0:0:0:0:0:0:0:1]:1', '::1', 1],
  ['127.0.0.1:0', '127.0.0.1', 0],
];
for (const [text, host, port] of accepted) {
  test(`listen ${text} is accepted`, (t) => {
    t.deepEqual(parseLoopbackListen(text), { ok: true, address: { host, port } });
  });
}

const refused: [string, RegExp][] = [
  ['0.0.0.0:9797', /must be a loopback address/],
  ['192.0.2.1:9797', /192\.0\.2\.1 must be a loopback address/],
  ['[::]:9797', /must be a loopback address/],
  ['[2001:db8::1]:9797', /must be a loopback address/],
  ['localhost:9797', /"localhost" must be a loopback address/],
  ['127.0.0.0/8:9797', /must be a loopback address/],
  ['127.0.0.1', /expected ADDRESS:PORT/],
  ['::1:9797', /expected ADDRESS:PORT/],
  ['127.0.0.1:65536', /out of range/],
  ['127.0.0.1:http', /expected ADDRESS:PORT/],
];
for (const [text, why] of refused) {
  test(`listen ${text} is refused`, (t) => {
    const r = parseLoopbackListen(text);
    t.false(r.ok);
    if (!r.ok) t.regex(r.message, why);
  });
}

test('IncarnationTotals keeps counting across a restart and reads the old incarnation to its end', (t) => {
  const totals = new IncarnationTotals<{ n: number }>((s) => s.n);
  const first = { n: 5 };
  t.is(totals.total('LG', undefined), undefined, 'nothing before the first incarnation');
  t.is(totals.total('LG', first), 5);
  first.n = 7; // counted after the last scrape, before the restart
  const second = { n: 2 };
  t.is(totals.total('LG', second), 9);
  t.is(totals.total('LG', undefined), 9, 'while restarting, the last incarnation still counts');
  second.n = 3;
  t.is(totals.total('LG', second), 10);
  t.is(totals.total('MX', { n: 1 }), 1, 'keys are separate');
});

test('GrowingTotals takes a drop as a restart from zero', (t) => {
  const g = new GrowingTotals();
  t.is(g.total('a', 0), 0);
  t.is(g.total('a', 2), 2);
  t.is(g.total('a', 0), 2, 'a reload replaced the child: its count started again');
  t.is(g.total('a', 1), 3);
  t.is(g.total('a', 1), 3);
});

const status = (name: string, outcome: string | null): DynloadStatus => ({
  name,
  state: 'idle',
  lastAttemptAt: null,
  lastSuccessAt: null,
  entries: null,
  nextRunAt: null,
  lastError: null,
  outcome,
});

test('DynloadRunBoard counts each published run once, by outcome; statuses without outcome are not runs', (t) => {
  const b = new DynloadRunBoard();
  b.set('drop', status('drop', null));
  const replaced = status('drop', 'replaced');
  b.set('drop', replaced);
  b.set('drop', replaced); // the same status object again is not a new run
  b.set('drop', status('drop', 'fetch failed'));
  b.set('drop', status('drop', 'replaced'));
  b.set('nix', status('nix', 'unchanged'));
  t.deepEqual(
    [...b.runs].map(([n, m]) => [n, Object.fromEntries(m)]),
    [
      ['drop', { replaced: 2, 'fetch failed': 1 }],
      ['nix', { unchanged: 1 }],
    ],
  );
  t.is(b.get('drop')?.outcome, 'replaced', 'still the board the control socket reads');
});
