// The dynloader parsers on the real formats (Spamhaus JSON lines and legacy text, NixSpam, plain) and
// the whitelist carve-out: garbage counted, non-lists refused, wide prefixes dropped.
import test from 'ava';
import { AddressMatcher, EntryCollector, aggregate } from '../../src/core/aggregate.js';
import { carveWhitelist } from '../../src/core/dynload-carve.js';
import { parseDynload, resolveFormat, type ParseLimits } from '../../src/core/dynload-parse.js';
import { formatV4 } from '../../src/core/fw-plan.js';
import { parseIp } from '../../src/core/ip.js';
import { formatPoolHeader, parsePoolHeader } from '../../src/core/pool-header.js';
import { effectiveInterval } from '../../actors/dynload/dynloader.js';

function ipOf(s: string) {
  const r = parseIp(s);
  if (!r.ok) throw new Error(r.error);
  return r.ip;
}

const LIMITS: ParseLimits = { column: 1, minPrefixV4: 8, minPrefixV6: 19, maxEntries: 1000 };

function run(text: string, format: Parameters<typeof parseDynload>[1], limits = LIMITS) {
  const c = new EntryCollector();
  const r = parseDynload(text, format, limits, c);
  const e = c.finish();
  return { r, all: [...Array.from(e.v4, formatV4), ...e.v4nets, ...e.v6, ...e.v6nets] };
}

const DROP_JSON = [
  '{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}',
  '{"cidr":"1.19.0.0/16","sblid":"SBL434604","rir":"apnic"}',
  '{"type":"metadata","timestamp":1700000000,"size":120,"records":2,"copyright":"(c) 2024 The Spamhaus Project SLU","terms":"https://www.spamhaus.org/drop/terms/"}',
].join('\n');

test('Spamhaus DROP JSON lines: records in, metadata trailer checked', (t) => {
  const { r, all } = run(DROP_JSON, 'spamhaus-json');
  t.like(r, { ok: true, entries: 2, garbage: 0 });
  t.deepEqual(all, ['1.10.16.0/20', '1.19.0.0/16']);
  t.is(resolveFormat('spamhaus-drop', 'auto', DROP_JSON), 'spamhaus-json');
});

test('Spamhaus JSON without its metadata record or with fewer records than announced is truncated', (t) => {
  const lines = DROP_JSON.split('\n');
  t.like(run(lines.slice(0, 2).join('\n'), 'spamhaus-json').r, { ok: false });
  const r = run([lines[0], lines[2]].join('\n'), 'spamhaus-json').r;
  t.false(r.ok);
  if (!r.ok) t.regex(r.reason, /announces 2 records, 1 arrived/);
});

test('Spamhaus legacy text and DROPv6', (t) => {
  const text = '; Spamhaus DROP List 2024/01/01 - (c) 2024 The Spamhaus Project\n; Last-Modified: Mon, 01 Jan 2024\n1.10.16.0/20 ; SBL256894\n1.19.0.0/16 ; SBL434604\n';
  t.is(resolveFormat('spamhaus-drop', 'auto', text), 'spamhaus-text');
  t.deepEqual(run(text, 'spamhaus-text').all, ['1.10.16.0/20', '1.19.0.0/16']);
  const v6 = '{"cidr":"2a06:e480::/29","sblid":"SBL301771","rir":"ripencc"}\n{"type":"metadata","records":1}\n';
  t.deepEqual(run(v6, 'spamhaus-json').all, ['2a06:e480::/29']);
});

test('NixSpam: the address is the second column', (t) => {
  const { r, all } = run('1700000000 192.0.2.7\n1700000100 198.51.100.9\n', 'nixspam');
  t.like(r, { ok: true, entries: 2 });
  t.deepEqual(all, ['192.0.2.7', '198.51.100.9']);
});

test('plain lists: comments, an optional column, garbage counted with samples', (t) => {
  const { r, all } = run('# a list\n203.0.113.1 ; comment\n; more\nfoo bar\n2001:db8::1\n', 'plain');
  t.like(r, { ok: true, entries: 2, garbage: 1 });
  if (r.ok) t.deepEqual(r.samples, ['line 4: foo bar']);
  t.deepEqual(all, ['203.0.113.1', '2001:db8::1']);
  t.deepEqual(run('x 203.0.113.5\ny 203.0.113.6\n', 'plain', { ...LIMITS, column: 2 }).all, ['203.0.113.5', '203.0.113.6']);
});

test('an HTML page, an empty body, mostly garbage and too many entries are refused', (t) => {
  t.like(run('<!DOCTYPE html><html><body>503</body></html>', 'plain').r, { ok: false, reason: 'the response is an HTML page, not a list' });
  t.like(run('', 'plain').r, { ok: false, reason: 'the response is empty' });
  t.like(run('# only comments\n', 'plain').r, { ok: false });
  t.like(run('a\nb\nc\n1.2.3.4\n', 'plain').r, { ok: false });
  t.like(run('1.2.3.4\n1.2.3.5\n1.2.3.6\n', 'plain', { ...LIMITS, maxEntries: 2 }).r, { ok: false });
});

test('entries wider than the minimum prefix are dropped and said, never loaded', (t) => {
  const { r, all } = run('0.0.0.0/0\n10.0.0.0/7\n::/0\n2001:db8::/18\n198.51.100.0/24\n', 'plain');
  t.like(r, { ok: true, entries: 1 });
  if (r.ok) t.deepEqual(r.tooWide, ['0.0.0.0/0', '10.0.0.0/7', '::/0', '2001:db8::/18']);
  t.deepEqual(all, ['198.51.100.0/24']);
});

test('the whitelist is carved out: singles dropped, networks split around it', (t) => {
  const wl = AddressMatcher.fromEntries(aggregate(['198.51.100.7', '2001:db8::1', '192.0.2.9'].map(ipOf)));
  const entries = aggregate(['198.51.100.0/30', '198.51.100.4/30', '192.0.2.9', '192.0.2.10', '2001:db8::/126'].map(ipOf));
  const { entries: out, carved } = carveWhitelist(entries, wl);
  t.true(carved.length >= 2);
  const m = AddressMatcher.fromEntries(out);
  t.false(m.overlaps('198.51.100.7'));
  t.false(m.overlaps('192.0.2.9'));
  t.false(m.overlaps('2001:db8::1'));
  for (const a of ['198.51.100.0', '198.51.100.6', '192.0.2.10', '2001:db8::2', '2001:db8::3']) t.true(m.covers(a), a);
});

test('the pool header survives a round trip and is a comment to the list parser', (t) => {
  const meta = { source: 'https://x.example/l', fetchedAt: '2026-01-01T00:00:00.000Z', entries: 3, checksum: 'sha256:ab', etag: '"x\ny"' };
  const back = parsePoolHeader(formatPoolHeader('a', meta).split('\n').map((l) => `# ${l}`).join('\n') + '\n1.2.3.4\n');
  t.deepEqual(back, { ...meta, etag: '"x y"' });
  t.is(parsePoolHeader('1.2.3.4\n'), null);
});

test('a Spamhaus loader never runs more often than hourly, and says so', (t) => {
  const warned: string[] = [];
  const log = { warn: (m: string) => warned.push(m) } as unknown as Parameters<typeof effectiveInterval>[1];
  const base = { name: 's', format: 'auto' as const, column: 1, min_prefix_v4: 8, min_prefix_v6: 19, max_entries: 1, timeout: 1, max_bytes: 1 };
  t.is(effectiveInterval({ ...base, kind: 'spamhaus-drop', interval: 600_000 }, log), 3_600_000);
  t.regex(warned[0] ?? '', /raised to 1 h: Spamhaus asks/);
  t.is(effectiveInterval({ ...base, kind: 'list', interval: 600_000 }, log), 600_000);
  t.is(effectiveInterval({ ...base, kind: 'spamhaus-dropv6', interval: 7_200_000 }, log), 7_200_000);
  t.is(warned.length, 1);
});
