// A dead resolver must not delay detection: lookups against a server that swallows every query, and
// against a port where nothing listens, resolve to unknown within the timeout while the caller runs on.
import test from 'ava';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { DnsClassifier } from '../../src/adapters/dns/classifier.js';

/** A UDP socket on loopback that reads every query and never answers. */
async function blackHole(): Promise<{ port: number; received: () => number; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', () => n++);
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, received: () => n, close: () => sock.close() };
}

/** A loopback port with nothing behind it (bound, then released). */
async function closedPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

const addresses = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? `2001:db8::${i + 1}` : `203.0.113.${i + 1}`));

async function exercise(t: import('ava').ExecutionContext, server: string): Promise<void> {
  const timeoutMs = 300;
  const c = new DnsClassifier({ servers: [server], timeoutMs, concurrency: 4 });
  t.teardown(() => c.close());
  // the event loop must keep turning: a 5 ms ticker records its worst gap while lookups are pending
  let last = performance.now();
  let worstGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worstGap = Math.max(worstGap, now - last);
    last = now;
  }, 5);
  const t0 = performance.now();
  const pending = addresses.map((ip) => c.classify(ip));
  const callTime = performance.now() - t0;
  t.true(callTime < 50, `40 classify() calls took ${callTime.toFixed(1)} ms to return`);
  t.is(c.peek(addresses[0]!), undefined, 'nothing known yet, and peek does not wait');
  const settledAt: number[] = [];
  const classes = await Promise.all(pending.map((p) => p.then((cls) => (settledAt.push(performance.now() - t0), cls))));
  clearInterval(ticker);
  t.deepEqual(new Set(classes), new Set(['unknown']));
  const slowest = Math.max(...settledAt);
  t.true(slowest < timeoutMs + 150, `the slowest lookup settled after ${slowest.toFixed(0)} ms (timeout ${timeoutMs} ms)`);
  t.true(worstGap < 100, `event loop stalled ${worstGap.toFixed(0)} ms`);
  t.is(c.peek(addresses[0]!), 'unknown', 'unknown is cached briefly, so a flood does not re-ask a dead server');
  t.log(`slowest ${slowest.toFixed(0)} ms, worst event-loop gap ${worstGap.toFixed(0)} ms, stats ${JSON.stringify(c.stats)}`);
}

test('a resolver that never answers: every lookup is unknown within the timeout, the caller never waits', async (t) => {
  const hole = await blackHole();
  t.teardown(() => hole.close());
  await exercise(t, `127.0.0.1:${hole.port}`);
  t.true(hole.received() > 0, 'the queries did reach the dead server');
});

test('nothing listening on the port: every lookup is unknown within the timeout', async (t) => {
  await exercise(t, `127.0.0.1:${await closedPort()}`);
});
