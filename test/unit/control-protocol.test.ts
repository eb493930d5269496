// The control protocol's envelope and every command's field validation (pure, table-driven), the
// alias dispatch of watcherctl's original tool names, and the trace hub's idle path.
import test from 'ava';
import { COMMAND_NAMES, MAX_REQUEST_BYTES, parseRequest, isResponse } from '../../src/control/protocol.js';
import { aliasArgv } from '../../src/cli/ctl/aliases.js';
import { summarise, TraceHub } from '../../src/daemon/trace.js';

const req = (o: Record<string, unknown>) => JSON.stringify({ v: 1, id: 7, ...o });

const good: [string, Record<string, unknown>, unknown][] = [
  ['status', { cmd: 'status' }, { cmd: 'status' }],
  ['stop', { cmd: 'stop', flush: true }, { cmd: 'stop', flush: true }],
  ['expire', { cmd: 'expire' }, { cmd: 'expire' }],
  ['trace all', { cmd: 'trace' }, { cmd: 'trace' }],
  ['trace one actor', { cmd: 'trace', actor: 'module:LG' }, { cmd: 'trace', actor: 'module:LG' }],
  ['list default limit', { cmd: 'list' }, { cmd: 'list', limit: 1000 }],
  ['list by module and source', { cmd: 'list', module: 'MX', source: 'dl:spamhaus', limit: 5 }, { cmd: 'list', module: 'MX', source: 'dl:spamhaus', limit: 5 }],
  ['show canonicalises', { cmd: 'show', entry: '2001:DB8:0:0::7' }, { cmd: 'show', entry: '2001:db8::7' }],
  ['show mapped IPv6 is IPv4', { cmd: 'show', entry: '::ffff:203.0.113.5' }, { cmd: 'show', entry: '203.0.113.5' }],
  ['ban a network', { cmd: 'ban', entry: '203.0.113.9/24', module: 'WB', forMs: 60000 }, { cmd: 'ban', entry: '203.0.113.0/24', module: 'WB', forMs: 60000 }],
  ['unban', { cmd: 'unban', entry: '198.51.100.7' }, { cmd: 'unban', entry: '198.51.100.7' }],
  ['whitelist add', { cmd: 'whitelist-add', entry: '198.51.100.1', comment: 'vpn', by: 'root' }, { cmd: 'whitelist-add', entry: '198.51.100.1', comment: 'vpn', by: 'root' }],
  ['whitelist remove', { cmd: 'whitelist-remove', entry: '198.51.100.1' }, { cmd: 'whitelist-remove', entry: '198.51.100.1' }],
  ['inject', { cmd: 'inject', module: 'LG', lines: ['a', 'b'] }, { cmd: 'inject', module: 'LG', lines: ['a', 'b'] }],
];

for (const [name, body, command] of good) {
  test(`accepts ${name}`, (t) => {
    t.deepEqual(parseRequest(req(body)), { v: 1, id: 7, command });
  });
}

const bad: [string, string, RegExp][] = [
  ['not JSON', '{"v":1,', /not valid JSON/],
  ['an array', '[1,2]', /JSON object/],
  ['a string', '"status"', /JSON object/],
  ['no version', JSON.stringify({ id: 1, cmd: 'status' }), /unsupported protocol version none/],
  ['a newer version', JSON.stringify({ v: 2, id: 1, cmd: 'status' }), /unsupported protocol version 2/],
  ['no id', JSON.stringify({ v: 1, cmd: 'status' }), /needs an id/],
  ['an object id', JSON.stringify({ v: 1, id: {}, cmd: 'status' }), /needs an id/],
  ['unknown command', req({ cmd: 'rm-rf' }), /unknown command "rm-rf"/],
  ['prototype key as command', req({ cmd: '__proto__' }), /unknown command/],
  ['command not a string', req({ cmd: 42 }), /unknown command 42/],
  ['ban without address', req({ cmd: 'ban' }), /ban needs an IP address or CIDR/],
  ['ban of garbage', req({ cmd: 'ban', entry: 'example.com' }), /not an IPv4 or IPv6 address/],
  ['ban of an octal form', req({ cmd: 'ban', entry: '010.1.1.1' }), /ambiguous/],
  ['ban in an unknown module', req({ cmd: 'ban', entry: '192.0.2.1', module: 'XX' }), /module LG, MX, MB or WB/],
  ['ban for a negative time', req({ cmd: 'ban', entry: '192.0.2.1', forMs: -5 }), /positive number/],
  ['ban for a fraction', req({ cmd: 'ban', entry: '192.0.2.1', forMs: 1.5 }), /positive number/],
  ['list of an unknown source', req({ cmd: 'list', source: 'dl:../../etc' }), /source must be/],
  ['list with a zero limit', req({ cmd: 'list', limit: 0 }), /whole number/],
  ['stop with a string flush', req({ cmd: 'stop', flush: 'yes' }), /flush must be/],
  ['trace of a weird actor', req({ cmd: 'trace', actor: 'a b' }), /actor id/],
  ['whitelist comment with a newline', req({ cmd: 'whitelist-add', entry: '192.0.2.1', comment: 'a\n192.0.2.0/0' }), /one line/],
  ['inject lines not strings', req({ cmd: 'inject', module: 'LG', lines: [1] }), /array of at most/],
  ['oversized', req({ cmd: 'inject', module: 'LG', lines: ['x'.repeat(MAX_REQUEST_BYTES)] }), /longer than/],
];

for (const [name, line, message] of bad) {
  test(`refuses ${name} with an error response`, (t) => {
    const r = parseRequest(line);
    t.true(isResponse(r));
    if (!isResponse(r)) return;
    t.false(r.ok);
    t.is(r.v, 1);
    t.is(r.error?.code, 'WATCHER_E_CONTROL');
    t.regex(r.error?.message ?? '', message);
  });
}

test('every command name has a parser; the list is sorted', (t) => {
  t.deepEqual([...COMMAND_NAMES], [...COMMAND_NAMES].sort());
  for (const c of ['status', 'list', 'show', 'ban', 'unban', 'whitelist-add', 'whitelist-remove', 'whitelist-list', 'inject', 'reload', 'expire', 'trace', 'stop', 'dynload', 'dynload-status']) {
    t.true(COMMAND_NAMES.includes(c), c);
  }
});

test('aliases: freeme is unban, <M>injector is inject <M> (stdin without lines), others unchanged', (t) => {
  t.deepEqual(aliasArgv('/usr/local/sbin/freeme', ['203.0.113.5']), ['unban', '203.0.113.5']);
  t.deepEqual(aliasArgv('/usr/local/sbin/LGinjector', ['line one', 'line two']), ['inject', 'LG', 'line one', 'line two']);
  t.deepEqual(aliasArgv('/usr/local/sbin/WBinjector', []), ['inject', 'WB', '-']);
  t.deepEqual(aliasArgv('MXinjector', ['--socket', '/run/x.sock', 'a line']), ['inject', 'MX', 'a line', '--socket', '/run/x.sock']);
  t.deepEqual(aliasArgv('/usr/bin/watcherctl', ['status']), ['status']);
  t.deepEqual(aliasArgv('/opt/watcher/bin/watcherctl.js', ['list']), ['list']);
  t.deepEqual(aliasArgv('/x/XXinjector', ['a']), ['a']);
});

test('trace hub: idle inspection does nothing; a subscriber gets transitions once per state and events without actor refs', (t) => {
  const hub = new TraceHub(() => 1000);
  const ref = { id: 'module:LG', sessionId: 'x:1', send: () => undefined } as never;
  const child = { id: 'pipeline', sessionId: 'x:2', _parent: ref, send: () => undefined } as never;
  hub.inspect({ type: '@xstate.snapshot', rootId: 'x:0', actorRef: ref, event: { type: 'a' }, snapshot: { value: 'running', status: 'active' } as never });
  const frames: unknown[] = [];
  const off = hub.subscribe('module:LG', (f) => frames.push(f));
  const snap = (value: string) => hub.inspect({ type: '@xstate.snapshot', rootId: 'x:0', actorRef: ref, event: { type: 'e' }, snapshot: { value, status: 'active' } as never });
  snap('running');
  snap('running');
  snap('stopped');
  hub.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: child, sourceRef: ref, event: { type: 'lines.injected', lines: ['a', 'b'], replyTo: ref } });
  hub.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: { id: 'fw-writer' } as never, sourceRef: undefined, event: { type: 'fw.verify' } });
  t.deepEqual(frames, [
    { t: 1000, kind: 'transition', actor: 'module:LG', state: 'running', status: 'active', event: 'e' },
    { t: 1000, kind: 'transition', actor: 'module:LG', state: 'stopped', status: 'active', event: 'e' },
    { t: 1000, kind: 'event', actor: 'pipeline', from: 'module:LG', event: { type: 'lines.injected', lines: '[2]' } },
  ]);
  off();
  t.is(hub.subscribers, 0);
  t.deepEqual(summarise({ type: 'x', s: 'y'.repeat(300), n: 1, o: { deep: true } }), { type: 'x', s: `${'y'.repeat(197)}...`, n: 1 });
});
