// Pure parts of reports and statistics: periods and date arguments, the stats table and its CSV, the
// report schedule, MIME composition, SVG charts and escaping.
import test from 'ava';
import { parseCsv } from '../helpers/csv.js';
import { nextReportAt } from '../../src/core/report-schedule.js';
import { composeMail, headerText, rfc5322Date } from '../../src/report/mail.js';
import { isoTime, parseDateArg, periodsBetween, periodIndex } from '../../src/report/periods.js';
import { statsTable, toCsv, toTextTable } from '../../src/report/stats-table.js';
import { horizontalBarChart, niceMax, stackedBarChart } from '../../src/report/svg.js';
import { esc, plain } from '../../src/report/escape.js';

const U = (s: string) => Date.parse(s);

test('parseDateArg: dates, timestamps with and without offsets; impossible days are refused', (t) => {
  t.deepEqual(parseDateArg('2026-11-22', 'utc'), { ok: true, t: U('2026-11-22T00:00:00Z'), dateOnly: true });
  t.deepEqual(parseDateArg('2026-11-22T06:30', 'utc'), { ok: true, t: U('2026-11-22T06:30:00Z'), dateOnly: false });
  t.deepEqual(parseDateArg('2026-11-22T06:30:15+01:00', 'utc'), { ok: true, t: U('2026-11-22T05:30:15Z'), dateOnly: false });
  t.deepEqual(parseDateArg('2026-11-22 06:30:15Z', 'local'), { ok: true, t: U('2026-11-22T06:30:15Z'), dateOnly: false });
  t.deepEqual(parseDateArg('2026-11-22T06:30:15.123-0230', 'utc'), { ok: true, t: U('2026-11-22T09:00:15Z'), dateOnly: false });
  for (const bad of ['2026-02-30', '2026-13-01', '22.11.2026', 'yesterday', '2026-11-22T25:00', '', '2026-11-22T06:30:15+1']) {
    t.false(parseDateArg(bad, 'utc').ok, bad);
  }
});

test('periods: whole hours, days and months in UTC; index by binary search', (t) => {
  const days = periodsBetween(U('2026-02-27T10:00:00Z'), U('2026-03-02T00:00:00Z'), 'day', 'utc');
  t.deepEqual(days.map((p) => isoTime(p.start, 'utc')), ['2026-02-27T00:00:00Z', '2026-02-28T00:00:00Z', '2026-03-01T00:00:00Z']);
  const months = periodsBetween(U('2026-11-15T00:00:00Z'), U('2027-01-02T00:00:00Z'), 'month', 'utc');
  t.deepEqual(months.map((p) => isoTime(p.start, 'utc')), ['2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z']);
  t.is(months[2]!.end, U('2027-02-01T00:00:00Z'));
  t.is(periodsBetween(U('2026-11-22T00:00:00Z'), U('2026-11-23T00:00:00Z'), 'hour', 'utc').length, 24);
  t.is(periodIndex(days, U('2026-02-28T23:59:59Z')), 1);
  t.is(periodIndex(days, U('2026-02-26T23:59:59Z')), -1);
  t.is(periodIndex(days, U('2026-03-02T00:00:00Z')), -1);
  t.regex(isoTime(U('2026-11-22T06:00:00Z'), 'local'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
});

test('stats table: counts summed into periods, columns in a fixed order, CSV per RFC 4180 parses back', (t) => {
  const periods = periodsBetween(U('2026-11-20T00:00:00Z'), U('2026-11-22T00:00:00Z'), 'day', 'utc');
  const counts = [
    { t: U('2026-11-20T01:00:00Z'), key: 'affairs', n: 2 },
    { t: U('2026-11-20T01:00:00Z'), key: 'affairs:scan, "deep"', n: 2 },
    { t: U('2026-11-21T23:45:00Z'), key: 'affairs', n: 5 },
    { t: U('2026-11-21T23:45:00Z'), key: 'affairs:auth-failure', n: 5 },
    { t: U('2026-11-21T10:00:00Z'), key: 'dns:NXDOMAIN', n: 1 },
    { t: U('2026-11-21T10:00:00Z'), key: 'new_offenders', n: 1 },
    { t: U('2026-11-25T10:00:00Z'), key: 'bans', n: 9 },
  ];
  const table = statsTable(periods, counts, 'utc', true);
  t.deepEqual(table.columns, ['from', 'to', 'affairs', 'affairs:auth-failure', 'affairs:scan, "deep"', 'new_offenders', 'bans', 'unbans', 'expiries', 'dns:NXDOMAIN']);
  const csv = toCsv(table);
  t.true(csv.includes('"affairs:scan, ""deep"""'));
  const rows = parseCsv(csv);
  t.deepEqual(rows[1], ['2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z', '2', '0', '2', '0', '0', '0', '0', '0']);
  t.deepEqual(rows[2], ['2026-11-21T00:00:00Z', '2026-11-22T00:00:00Z', '5', '5', '0', '1', '0', '0', '0', '1']);
  t.is(rows.length, 3);
  const vhostOnly = statsTable(periods, counts.slice(0, 4), 'utc', false);
  t.deepEqual(vhostOnly.columns, ['from', 'to', 'affairs', 'affairs:auth-failure', 'affairs:scan, "deep"']);
  t.regex(toTextTable(table).split('\n')[1]!, /^2026-11-20T00:00:00Z\s+2026-11-21T00:00:00Z\s+2\s+0\s+2/);
});

test('report schedule: the next daily or Monday time strictly after now (local time)', (t) => {
  const local = (y: number, mo: number, d: number, h: number, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
  t.is(nextReportAt(local(2026, 11, 22, 5, 59), 'daily', '06:00'), local(2026, 11, 22, 6, 0));
  t.is(nextReportAt(local(2026, 11, 22, 6, 0), 'daily', '06:00'), local(2026, 11, 23, 6, 0));
  // 2026-11-22 is a Sunday
  t.is(new Date(local(2026, 11, 23, 6)).getDay(), 1);
  t.is(nextReportAt(local(2026, 11, 22, 12), 'weekly', '06:00'), local(2026, 11, 23, 6, 0));
  t.is(nextReportAt(local(2026, 11, 23, 6, 1), 'weekly', '06:00'), local(2026, 11, 30, 6, 0));
  t.is(nextReportAt(local(2026, 11, 22, 12), 'off', '06:00'), null);
});

test('MIME mail: multipart/alternative, both parts base64 UTF-8 that decode to the inputs; no header injection', (t) => {
  const text = 'Watcher report\nuser <img> ünïcode\n';
  const html = '<!DOCTYPE html><p>ünïcode</p>\n';
  const mail = composeMail({ to: ['root@localhost', 'ops@example.org'], subject: 'Watcher report — vm', text, html, date: new Date(U('2026-11-22T06:00:00Z')), boundary: '=_watcher_abc' });
  const [head, body] = [mail.slice(0, mail.indexOf('\n\n')), mail.slice(mail.indexOf('\n\n') + 2)];
  t.regex(head, /^To: root@localhost, ops@example\.org$/m);
  t.regex(head, /^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/m);
  t.regex(head, /^Date: Sun, 22 Nov 2026 06:00:00 \+0000$/m);
  t.regex(head, /^Content-Type: multipart\/alternative; boundary="=_watcher_abc"$/m);
  const parts = body.split('--=_watcher_abc').slice(1, -1);
  t.is(parts.length, 2);
  const decode = (p: string) => Buffer.from(p.slice(p.indexOf('\n\n') + 2).replace(/\s+/g, ''), 'base64').toString('utf8');
  t.regex(parts[0]!, /Content-Type: text\/plain; charset=utf-8/);
  t.is(decode(parts[0]!), text);
  t.regex(parts[1]!, /Content-Type: text\/html; charset=utf-8/);
  t.is(decode(parts[1]!), html);
  t.true(body.trimEnd().endsWith('--=_watcher_abc--'));
  t.true(mail.split('\n').every((l) => l.length <= 78));
  t.is(headerText('a\r\nBcc: evil@example.org'), 'a Bcc: evil@example.org');
  t.throws(() => composeMail({ to: ['a@b\nBcc: x@y'], subject: 's', text: '', html: '', date: new Date(0), boundary: 'b' }));
  t.throws(() => composeMail({ to: [], subject: 's', text: '', html: '', date: new Date(0), boundary: 'b' }));
  t.is(rfc5322Date(new Date(U('2026-01-05T09:03:04Z'))), 'Mon, 5 Jan 2026 09:03:04 +0000');
});

test('SVG charts: a bar per non-zero value with its value, labels escaped, "no data" when empty', (t) => {
  const svg = stackedBarChart({ title: 'A <b>', labels: ['x<1', 'x2', 'x3'], labelEvery: 1, series: [{ name: 'LG', values: [1, 0, 3] }, { name: 'W"B', values: [2, 0, 0] }] });
  const bars = [...svg.matchAll(/<rect class="bar"[^>]*data-value="(\d+)"[^>]*height="([\d.]+)"/g)];
  t.deepEqual(bars.map((b) => Number(b[1])), [1, 2, 3]);
  t.true(bars.every((b) => Number(b[2]) > 0));
  t.false(svg.includes('<b>'));
  t.true(svg.includes('x&lt;1'));
  t.true(svg.includes('W&quot;B'));
  t.regex(stackedBarChart({ title: 't', labels: ['a'], labelEvery: 1, series: [{ name: 'LG', values: [0] }] }), /no data/);
  const h = horizontalBarChart('top', [{ label: '203.0.113.5 (<x>)', value: 7 }]);
  t.regex(h, /data-value="7"/);
  t.false(h.includes('<x>'));
  t.deepEqual([0, 1, 3, 7, 10, 11, 250].map(niceMax), [1, 1, 5, 10, 10, 20, 500]);
});

test('escaping: HTML special characters, and control characters out of text', (t) => {
  t.is(esc(`<a href="x" onclick='y'>&`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
  t.is(plain('a\u001b[31mb\u0007c\u009bd'), 'a?[31mb?c?d');
});

test('firewall state from status answers of different daemons; none when it does not answer', async (t) => {
  const { firewallState, withDynloadStatus } = await import('../../src/report/firewall-state.js');
  const now = U('2026-11-22T07:00:00Z');
  // a daemon that reports sets per source and family, and child exits
  const rich = firewallState(
    {
      backend: 'ipset',
      firewall: { state: 'idle', queued: 0, lastError: null, sets: [{ source: 'mod:LG', verdict: 'drop', v4: 3, v6: 1 }, { source: 'bl', verdict: 'drop', v4: 10, v6: 0 }] },
      children: [{ id: 'master-load', state: 'done', restarts: 0, uptimeSeconds: 100, lastExit: { kind: 'done', at: now - 5_000 } }],
      dynloaders: [{ name: 'drop', nextRunAt: now + 60_000, lastError: 'HTTP 503' }, { name: 'fresh', nextRunAt: null, lastError: null }],
    },
    now,
  );
  t.is(rich.daemon, 'running');
  t.deepEqual(rich.sets, [
    { name: 'bl', verdict: 'drop', v4: 10, v6: 0, entries: 10 },
    { name: 'mod:LG', verdict: 'drop', v4: 3, v6: 1, entries: 4 },
  ]);
  t.deepEqual(rich.masterLoad, { at: now - 5_000, state: 'done' });
  // an older daemon: no sets, master load time from the child's uptime
  const plain = firewallState({ backend: 'dry-run', firewall: { state: 'idle', queued: 2 }, children: [{ id: 'master-load', state: 'done', uptimeSeconds: 60 }] }, now);
  t.deepEqual(plain.sets, []);
  t.is(plain.queued, 2);
  t.deepEqual(plain.masterLoad, { at: now - 60_000, state: 'done' });
  t.like(firewallState(null, now), { daemon: 'not running', backend: null, sets: [] });
  t.like(firewallState(null, now, 'no answer'), { daemon: 'no answer' });
  const rows = withDynloadStatus([{ name: 'drop', source: 'https://x', fetchedAt: now - 1000, entries: 5, nextRunAt: null, lastError: null }], {
    dynloaders: [{ name: 'drop', nextRunAt: now + 60_000, lastError: 'HTTP 503' }, { name: 'fresh' }],
  });
  t.deepEqual(rows.map((r) => [r.name, r.nextRunAt, r.lastError, r.entries]), [
    ['drop', now + 60_000, 'HTTP 503', 5],
    ['fresh', null, null, null],
  ]);
});
