// The metrics endpoint over real HTTP on loopback: GET /metrics answers the text format, anything
// else 404/405, malformed requests get a 400 and the server keeps serving; a failing collector is a
// 500, not a crash; off means nothing listens; the apply histogram sees a real (dry-run) backend.
import test from 'ava';
import net from 'node:net';
import { Counter } from 'prom-client';
import { MetricsEndpoint } from '../../src/adapters/metrics/server.js';
import { WatcherMetrics } from '../../src/adapters/metrics/registry.js';
import { DryRunBackend } from '../../actors/fw/dryrun-backend.js';
import { loggerFor } from '../../src/log.js';

const log = loggerFor('metrics-test');

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(text));
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test.serial('GET /metrics only; bad requests answered, server keeps serving; stop closes the port', async (t) => {
  const m = new WatcherMetrics();
  const ep = new MetricsEndpoint(m.registry, log, () => m.enableProcessMetrics());
  t.teardown(() => ep.close());
  await ep.apply({ enabled: true, listen: { host: '127.0.0.1', port: 0 } });
  const url = ep.url;
  if (url === null) return t.fail('not listening');
  const port = Number(new URL(url).port);
  const ok = await fetch(url);
  t.is(ok.status, 200);
  t.regex(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const body = await ok.text();
  t.regex(body, /^# TYPE watcher_fw_apply_seconds histogram$/m);
  t.regex(body, /^process_cpu_user_seconds_total \d/m, 'process defaults are there');
  t.is((await fetch(new URL('/', url))).status, 404);
  t.is((await fetch(new URL('/metrics/x', url))).status, 404);
  t.is((await fetch(url, { method: 'POST', body: 'x' })).status, 405);
  t.regex(await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n'), /^HTTP\/1\.1 400/);
  t.regex(await rawRequest(port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 431/);
  t.is((await fetch(url)).status, 200, 'still serving after bad requests');
  await ep.apply({ enabled: false, listen: { host: '127.0.0.1', port } });
  t.is(ep.url, null);
  t.true(await refused(port), 'nothing listens once disabled');
});

test.serial('a collector that throws gives a 500 and the next scrape works', async (t) => {
  const m = new WatcherMetrics();
  let fail = true;
  new Counter({
    name: 'test_flaky_total',
    help: 'throws once',
    registers: [m.registry],
    collect() {
      if (fail) {
        fail = false;
        throw new Error('boom');
      }
    },
  });
  const ep = new MetricsEndpoint(m.registry, log);
  t.teardown(() => ep.close());
  await ep.apply({ enabled: true, listen: { host: '127.0.0.1', port: 0 } });
  t.is((await fetch(ep.url!)).status, 500);
  t.is((await fetch(ep.url!)).status, 200);
});

test.serial('a port in use is logged, not thrown; [::1] works where IPv6 loopback exists', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const m = new WatcherMetrics();
  const ep = new MetricsEndpoint(m.registry, log);
  t.teardown(() => ep.close());
  await ep.apply({ enabled: true, listen: { host: '127.0.0.1', port } });
  t.is(ep.url, null);
  await ep.apply({ enabled: true, listen: { host: '::1', port: 0 } });
  if (ep.url === null) {
    console.log('SKIP [::1] part: no IPv6 loopback on this host');
    t.pass();
    return;
  }
  t.regex(ep.url, /^http:\/\/\[::1\]:\d+\/metrics$/);
  t.is((await fetch(ep.url)).status, 200);
});

test.serial('the timed backend observes every apply and counts module bans per module', async (t) => {
  const m = new WatcherMetrics();
  const backend = m.timed(new DryRunBackend());
  await backend.applyPlan({ sets: [] });
  await backend.applyBatch([
    { op: 'add', source: 'mod:LG', entry: '192.0.2.1', family: 4 },
    { op: 'add', source: 'mod:LG', entry: '2001:db8::1', family: 6 },
    { op: 'del', source: 'mod:LG', entry: '192.0.2.9', family: 4 },
    { op: 'add', source: 'blacklist', entry: '192.0.2.2', family: 4 },
  ]);
  m.watch({ actor: () => undefined, supervisor: () => undefined, pipelines: new Map() });
  const text = await m.registry.metrics();
  t.regex(text, /^watcher_fw_apply_seconds_count\{kind="plan"\} 1$/m);
  t.regex(text, /^watcher_fw_apply_seconds_count\{kind="batch"\} 1$/m);
  t.regex(text, /^watcher_bans_total\{module="LG"\} 2$/m);
  t.notRegex(text, /watcher_bans_total\{module="blacklist"\}/);
});
