// Dynloaders against a real HTTP server on loopback serving each real format and each failure: 304,
// slow answers, oversized and truncated bodies, HTML pages, /0 entries, whitelisted addresses, garbage.
// Every failure ends with the previous good list still in force (no set.replace, pool file unchanged).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { EntryCollector } from '../../src/core/aggregate.js';
import { formatV4, type PlannedSet } from '../../src/core/fw-plan.js';
import { parseListText } from '../../src/core/list-file.js';
import { specOf, startLoader, type LoaderHarness } from '../helpers/dynload.js';

interface Reply {
  status?: number;
  body?: string | Buffer;
  etag?: string;
  delayMs?: number;
  gzipEncoding?: boolean;
  /** announce more bytes than sent, then close: a truncated transfer */
  cut?: boolean;
  /** answer 302 to this location */
  redirect?: string;
}

const replies = new Map<string, Reply>();
const seen: { path: string; headers: http.IncomingHttpHeaders }[] = [];

const server = http.createServer((req, res) => {
  seen.push({ path: req.url ?? '', headers: req.headers });
  const r = replies.get(req.url ?? '') ?? { status: 404, body: 'not found' };
  const send = () => {
    if (r.redirect !== undefined) {
      res.writeHead(302, { location: r.redirect }).end();
      return;
    }
    if (r.etag !== undefined && req.headers['if-none-match'] === r.etag) {
      res.writeHead(304).end();
      return;
    }
    let body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
    const headers: Record<string, string | number> = { 'content-type': 'text/plain' };
    if (r.gzipEncoding) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    if (r.etag !== undefined) headers['etag'] = r.etag;
    if (r.cut) {
      headers['content-length'] = body.length * 2;
      res.writeHead(r.status ?? 200, headers);
      res.write(body);
      res.socket?.destroy();
      return;
    }
    res.writeHead(r.status ?? 200, headers).end(body);
  };
  if (r.delayMs) setTimeout(send, r.delayMs);
  else send();
});

let base = '';
test.before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => {
  server.closeAllConnections();
  server.close();
});

function flat(s: PlannedSet): string[] {
  return [...Array.from(s.entries.v4, formatV4), ...s.entries.v4nets, ...s.entries.v6, ...s.entries.v6nets];
}

const DROP_JSON = [
  '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
  '{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}',
  '{"type":"metadata","timestamp":1700000000,"size":120,"records":2,"copyright":"(c) The Spamhaus Project"}',
].join('\n');

/** A loader with one good list in force, served at `p`. */
async function withGoodList(t: Parameters<typeof startLoader>[0], p: string, over = {}): Promise<LoaderHarness> {
  replies.set(p, { body: '# good\n192.0.2.1\n192.0.2.2\n198.51.100.0/24\n' });
  const h = await startLoader(t, specOf('t', { url: base + p, ...over }));
  await h.runOnce();
  t.is(h.replaces.length, 1);
  t.deepEqual(flat(h.replaces[0]!), ['192.0.2.1', '192.0.2.2', '198.51.100.0/24']);
  return h;
}

/** After a failed run: nothing more reached the firewall and the pool still holds the good list. */
function stillInForce(t: Parameters<typeof startLoader>[0], h: LoaderHarness, pool: string, error: RegExp, replaced = 1): void {
  t.is(h.replaces.length, replaced, 'no set.replace after a failure');
  t.is(h.pool(), pool, 'the load pool keeps the last good list');
  t.regex(h.context().lastError ?? '', error);
  t.true(h.logs.some((l) => l.includes('the previous list stays in force')));
}

test('Spamhaus DROP JSON: loaded, stored with its header, then 304 and an unchanged body cause no firewall work', async (t) => {
  replies.set('/drop.json', { body: DROP_JSON, etag: '"v1"' });
  const h = await startLoader(t, specOf('sh', { kind: 'spamhaus-drop', url: `${base}/drop.json` }));
  await h.runOnce();
  t.deepEqual(h.replaces.map(flat), [['1.10.16.0/20', '1.19.0.0/16']]);
  t.is(h.replaces[0]!.source, 'dl:sh');
  const pool = h.pool();
  t.regex(pool, /^# source: http:\/\/127\.0\.0\.1:\d+\/drop\.json$/m);
  t.regex(pool, /^# entries: 2$/m);
  t.regex(pool, /^# checksum: sha256:[0-9a-f]{64}$/m);
  t.regex(pool, /^# etag: "v1"$/m);
  t.regex(pool, /^1\.10\.16\.0\/20$/m);
  const back = new EntryCollector();
  t.deepEqual(parseListText(pool, 'pool', back), [], 'the master load reads the pool file as a plain list');
  t.deepEqual(back.finish().v4nets, ['1.10.16.0/20', '1.19.0.0/16']);
  const last = () => seen.filter((s) => s.path === '/drop.json').at(-1)!;
  t.regex(String(last().headers['user-agent']), /^Watcher-dynloader\//);
  await h.runOnce(); // same ETag: the server answers 304
  t.is(last().headers['if-none-match'], '"v1"');
  t.is(h.context().outcome, 'not modified');
  replies.set('/drop.json', { body: DROP_JSON, etag: '"v2"' }); // new ETag, same content
  await h.runOnce();
  t.is(h.context().outcome, 'unchanged');
  t.is(h.replaces.length, 1, 'no firewall work for 304 or an unchanged list');
  t.is(h.status()?.entries, 2);
});

test('Spamhaus DROPv6 legacy text and NixSpam gzip dumps load', async (t) => {
  replies.set('/dropv6.txt', { body: '; Spamhaus DROPv6 List\n2a06:e480::/29 ; SBL301771\n2001:db8:1000::/36 ; SBL1\n' });
  const v6 = await startLoader(t, specOf('v6', { kind: 'spamhaus-dropv6', url: `${base}/dropv6.txt` }));
  await v6.runOnce();
  t.deepEqual(v6.replaces.map(flat), [['2001:db8:1000::/36', '2a06:e480::/29']]);
  replies.set('/nix.gz', { body: gzipSync('1700000000 192.0.2.7\n1700000100 198.51.100.9\n') });
  const nix = await startLoader(t, specOf('nix', { kind: 'nixspam', url: `${base}/nix.gz` }));
  await nix.runOnce();
  t.deepEqual(nix.replaces.map(flat), [['192.0.2.7', '198.51.100.9']]);
  replies.set('/enc.txt', { body: '203.0.113.1\n203.0.113.2\n', gzipEncoding: true });
  const enc = await startLoader(t, specOf('enc', { url: `${base}/enc.txt` }));
  await enc.runOnce();
  t.deepEqual(enc.replaces.map(flat), [['203.0.113.1', '203.0.113.2']]);
});

test('a slow answer times out and the previous list stays in force', async (t) => {
  const h = await withGoodList(t, '/slow', { timeout: 300 });
  const pool = h.pool();
  replies.set('/slow', { body: '192.0.2.99\n', delayMs: 1_500 });
  await h.runOnce();
  stillInForce(t, h, pool, /within 300 ms/);
});

test('an oversized body (announced or streamed) is refused', async (t) => {
  const h = await withGoodList(t, '/big', { max_bytes: 1_000 });
  const pool = h.pool();
  replies.set('/big', { body: '192.0.2.3\n'.repeat(500) });
  await h.runOnce();
  stillInForce(t, h, pool, /larger than max_bytes 1000/);
});

test('an HTML error page with status 200, an HTTP 503 and an empty body are refused', async (t) => {
  const h = await withGoodList(t, '/html');
  const pool = h.pool();
  replies.set('/html', { body: '<!DOCTYPE html>\n<html><body><h1>Service unavailable</h1></body></html>\n' });
  await h.runOnce();
  stillInForce(t, h, pool, /HTML page/);
  replies.set('/html', { status: 503, body: 'busy' });
  await h.runOnce();
  stillInForce(t, h, pool, /HTTP 503/);
  replies.set('/html', { body: '' });
  await h.runOnce();
  stillInForce(t, h, pool, /empty/);
});

test('a truncated gzip dump, a cut transfer and a JSON list without its trailer are refused', async (t) => {
  const h = await withGoodList(t, '/cut');
  const pool = h.pool();
  const gz = gzipSync('1700000000 192.0.2.7\n'.repeat(200));
  replies.set('/cut', { body: gz.subarray(0, gz.length - 20) });
  await h.runOnce();
  stillInForce(t, h, pool, /truncated/);
  replies.set('/cut', { body: '192.0.2.50\n192.0.2.51\n', cut: true });
  await h.runOnce();
  stillInForce(t, h, pool, /truncated|aborted|socket hang up/);
  const sh = await startLoader(t, specOf('sh2', { kind: 'spamhaus-drop', url: `${base}/drop-cut.json` }));
  replies.set('/drop-cut.json', { body: DROP_JSON.split('\n').slice(0, 2).join('\n') });
  await sh.runOnce();
  t.is(sh.replaces.length, 0);
  t.regex(sh.context().lastError ?? '', /no final metadata record: truncated/);
});

test('0.0.0.0/0 and too-wide entries are dropped and said; the rest loads', async (t) => {
  replies.set('/wide', { body: '0.0.0.0/0\n::/0\n10.0.0.0/7\n192.0.2.5\n' });
  const h = await startLoader(t, specOf('wide', { url: `${base}/wide` }));
  await h.runOnce();
  t.deepEqual(h.replaces.map(flat), [['192.0.2.5']]);
  t.true(h.logs.some((l) => l.includes('3 entries wider than /8') && l.includes('0.0.0.0/0')));
});

test('whitelisted addresses are never dropped: singles removed, networks split around them', async (t) => {
  replies.set('/wl', { body: '192.0.2.1\n198.51.100.0/24\n203.0.113.9\n' });
  const h = await startLoader(t, specOf('wl', { url: `${base}/wl` }), ['198.51.100.77', '203.0.113.9']);
  await h.runOnce();
  const got = flat(h.replaces[0]!);
  t.false(got.includes('203.0.113.9'));
  t.false(got.includes('198.51.100.0/24'));
  t.true(got.includes('198.51.100.0/26') && got.includes('198.51.100.128/25') && got.includes('198.51.100.76'));
  t.false(got.includes('198.51.100.77'));
  t.true(h.logs.some((l) => l.includes('touch the whitelist')));
});

test('garbage lines are counted and reported; a body that is mostly garbage is refused', async (t) => {
  const h = await withGoodList(t, '/garbage');
  replies.set('/garbage', { body: '192.0.2.1\nnot-an-ip\n192.0.2.9\n999.1.1.1\n192.0.2.10\n' });
  await h.runOnce();
  t.is(h.replaces.length, 2);
  t.true(h.logs.some((l) => l.includes('2 garbage lines skipped')));
  const pool = h.pool();
  replies.set('/garbage', { body: 'error\nplease retry\nlater\n192.0.2.1\n' });
  await h.runOnce();
  stillInForce(t, h, pool, /garbage lines against 1 entries/, 2);
});

test('a firewall refusal keeps the old list and the next run retries the new one', async (t) => {
  const h = await withGoodList(t, '/fwfail');
  replies.set('/fwfail', { body: '192.0.2.33\n' });
  h.fwFails.next = true;
  await h.runOnce();
  t.is(h.replaces.length, 1);
  t.regex(h.context().lastError ?? '', /injected failure/);
  await h.runOnce();
  t.deepEqual(flat(h.replaces[1]!), ['192.0.2.33']);
});

test('redirects are followed up to three hops, a loop is refused', async (t) => {
  replies.set('/r1', { redirect: '/r2' });
  replies.set('/r2', { redirect: `${base}/r3` });
  replies.set('/r3', { body: '192.0.2.44\n' });
  const h = await startLoader(t, specOf('redir', { url: `${base}/r1` }));
  await h.runOnce();
  t.deepEqual(h.replaces.map(flat), [['192.0.2.44']]);
  replies.set('/loop', { redirect: '/loop' });
  const l = await startLoader(t, specOf('loop', { url: `${base}/loop` }));
  await l.runOnce();
  t.is(l.replaces.length, 0);
  t.regex(l.context().lastError ?? '', /more than 3 redirects/);
});

test('a file source and a command source (argument list, no shell) load the same way', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/watcher-dlsrc-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(`${dir}/feed.txt`, 'x 192.0.2.61\ny 192.0.2.62\n');
  const f = await startLoader(t, specOf('file', { file: `${dir}/feed.txt`, column: 2 }));
  await f.runOnce();
  t.deepEqual(f.replaces.map(flat), [['192.0.2.61', '192.0.2.62']]);
  // "; touch" would run in a shell; as an argument it is just a file name cat cannot open
  const c = await startLoader(t, specOf('cmd', { command: ['cat', `${dir}/feed.txt`, `; touch ${dir}/pwned`] }));
  await c.runOnce();
  t.is(c.replaces.length, 0);
  t.regex(c.context().lastError ?? '', /command cat failed/);
  const { existsSync } = await import('node:fs');
  t.false(existsSync(`${dir}/pwned`));
  const ok = await startLoader(t, specOf('cmd2', { command: ['cat', `${dir}/feed.txt`], column: 2 }));
  await ok.runOnce();
  t.deepEqual(ok.replaces.map(flat), [['192.0.2.61', '192.0.2.62']]);
});

test('100 rapid dynload requests against a slow server cost one download and one swap', async (t) => {
  replies.set('/rapid', { body: '192.0.2.77\n', delayMs: 300 });
  const h = await startLoader(t, specOf('rapid', { url: `${base}/rapid` }));
  const before = seen.filter((s) => s.path === '/rapid').length;
  for (let i = 0; i < 100; i++) h.dl.send({ type: 'dynload.now', at: Date.now() });
  await new Promise((r) => setTimeout(r, 50));
  const { waitFor } = await import('xstate');
  await waitFor(h.dl, (s) => s.value === 'idle' && s.context.runs === 1, { timeout: 5_000 });
  await new Promise((r) => setTimeout(r, 100));
  t.is(seen.filter((s) => s.path === '/rapid').length - before, 1);
  t.is(h.replaces.length, 1);
});

test('at start a fresh pool list is not fetched again before its interval; one from another source is', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { storePool } = await import('../../actors/dynload/pool-store.js');
  const { dynloaderInput } = await import('../../actors/dynload/dynloader.js');
  const dir = mkdtempSync(`${tmpdir()}/watcher-dlpool-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = { warn: () => undefined } as never;
  const spec = specOf('p', { url: 'https://x.example/a' });
  const now = Date.parse('2026-01-01T01:00:00Z');
  await storePool(dir, 'p', { source: spec.url!, fetchedAt: '2026-01-01T00:30:00.000Z', entries: 1, checksum: 'sha256:aa', etag: '"e"' }, '192.0.2.1\n');
  const deps = { spec, poolDir: dir, whitelist: async () => { throw new Error('unused'); }, log, board: new Map(), index: 0, now: () => now };
  t.like(dynloaderInput(deps), { firstDelayMs: 30 * 60_000, checksum: 'sha256:aa', etag: '"e"' });
  const moved = dynloaderInput({ ...deps, spec: { ...spec, url: 'https://x.example/b' } });
  t.like(moved, { firstDelayMs: 0, checksum: 'sha256:aa', etag: null });
});
