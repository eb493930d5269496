// The ipset + iptables backend against a real kernel: every claim is checked with real TCP connects from
// the lab's peer namespace into the server namespace, where the backend writes the firewall.
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import test, { type ExecutionContext } from 'ava';
import { Exec } from '../../src/adapters/exec.js';
import { WatcherError } from '../../src/core/errors.js';
import { expectedOf, type EntryOp, type FirewallPlan, type PlannedSet, type SourceName, type Verdict } from '../../src/core/fw-plan.js';
import { IpsetBackend } from '../../actors/fw/ipset-backend.js';
import { createLab, netnsUnavailable, SERVER4, SERVER6, type Lab } from '../helpers/netns.js';

const PORT = 8080;
// Under npx/ava, node_modules/.bin leads PATH and its `nft` is @vercel/nft (a file tracer), not nftables.
const NFT = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => existsSync(p)) ?? 'nft';
const ipNum = (s: string): number => s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function planned(source: SourceName, verdict: Verdict, e: { v4?: string[]; v4n?: number[]; v4nets?: string[]; v6?: string[]; v6nets?: string[] }): PlannedSet {
  const nums = [...(e.v4 ?? []).map(ipNum), ...(e.v4n ?? [])].sort((a, b) => a - b);
  return { source, verdict, entries: { v4: Uint32Array.from(new Set(nums)), v4nets: e.v4nets ?? [], v6: e.v6 ?? [], v6nets: e.v6nets ?? [] } };
}

/** n consecutive addresses from 10.<seed>.0.0 on: bulk that makes a load take measurable time. */
function bulk(seed: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => ipNum(`10.${seed}.0.0`) + i);
}

async function setup(t: ExecutionContext, peers: string[] = []): Promise<{ lab: Lab; fw: IpsetBackend }> {
  const lab = createLab(t);
  for (const p of peers) lab.addPeerAddress(p);
  await lab.serve(PORT);
  const fw = new IpsetBackend(new Exec(lab.server), { batchThreshold: 50, log: (m) => t.log(m) });
  // Registered after the lab: ava runs teardowns last-in first-out, so the session ends before the namespace.
  t.teardown(() => fw.close());
  return { lab, fw };
}

/** The PID of the backend's `ipset -` session in the lab's server namespace (it runs nothing else like it). */
function sessionPid(lab: Lab): number {
  const pids = execFileSync('ip', ['netns', 'pids', lab.server], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  const pid = pids.find((p) => {
    try {
      return /(^|\/)ipset\0-\0$/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
  if (pid === undefined) throw new Error('no ipset - session found');
  return pid;
}

const to = (src: string): string => (src.includes(':') ? SERVER6 : SERVER4);

/** One connect; a generous timeout because other suites load the machine (a new IPv6 source needs NDP first). */
const conn = (lab: Lab, src: string): Promise<string> => lab.connect(src, to(src), PORT, 1_500);

async function reach(lab: Lab, srcs: string[]): Promise<Record<string, string>> {
  const results = await Promise.all(srcs.map((s) => conn(lab, s)));
  return Object.fromEntries(srcs.map((s, i) => [s, results[i]!]));
}

const why = netnsUnavailable(['ipset', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore']);
if (why) {
  console.log(`SKIP ipset backend tests: ${why}`);
  test.skip('ipset backend', () => undefined);
} else {
  test('probe finds everything it needs', async (t) => {
    const lab = createLab(t);
    t.deepEqual(await new IpsetBackend(new Exec(lab.server), { batchThreshold: 50 }).probe(), []);
    t.notRegex(lab.inServer('ipset', ['list', '-n']), /wt-probe/);
  });

  test('a plan drops blacklisted v4 and v6 sources, lets others and whitelisted ones inside a blacklisted CIDR in', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '198.51.100.8', '203.0.113.5', '203.0.113.9', '2001:db8:1::7', '2001:db8:1::8']);
    const plan: FirewallPlan = {
      sets: [
        planned('whitelist', 'accept', { v4: ['203.0.113.9'] }),
        planned('blacklist', 'drop', { v4: ['198.51.100.7'], v4nets: ['203.0.113.0/24'], v6: ['2001:db8:1::7'] }),
      ],
    };
    const stats = await fw.applyPlan(plan);
    t.deepEqual(stats.perSource, [
      { source: 'whitelist', entries: 1 },
      { source: 'blacklist', entries: 3 },
    ]);
    t.is(stats.total, 4);
    t.deepEqual(await reach(lab, ['198.51.100.7', '198.51.100.8', '203.0.113.5', '203.0.113.9', '2001:db8:1::7', '2001:db8:1::8', '192.0.2.2']), {
      '198.51.100.7': 'blocked',
      '198.51.100.8': 'open',
      '203.0.113.5': 'blocked',
      '203.0.113.9': 'open',
      '2001:db8:1::7': 'blocked',
      '2001:db8:1::8': 'open',
      '192.0.2.2': 'open',
    });
    t.deepEqual(await fw.verify(expectedOf(plan)), []);
    const rules = lab.inServer('iptables', ['-S']);
    t.regex(rules, /-A INPUT -j WATCHER\n/);
    t.true(rules.indexOf('wt-wl-4 src -j RETURN') < rules.indexOf('wt-bl-4 src -j DROP'));
  });

  test('a reload from plan A to plan B leaves no window and frees what B dropped', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '198.51.100.8', '198.51.100.10']);
    const planA: FirewallPlan = {
      sets: [
        planned('blacklist', 'drop', { v4: ['198.51.100.7', '198.51.100.8', '198.51.100.10'] }),
        planned('dl:feed', 'drop', { v4n: bulk(1, 100_000) }),
      ],
    };
    // .7 stays in the blacklist; .10 moves from the blacklist to another set; .8 goes.
    const planB: FirewallPlan = {
      sets: [
        planned('blacklist', 'drop', { v4: ['198.51.100.7'] }),
        planned('dl:feed', 'drop', { v4n: bulk(2, 100_000), v4: ['198.51.100.10'] }),
      ],
    };
    await fw.applyPlan(planA);
    t.is(await conn(lab, '198.51.100.8'), 'blocked');
    const stays = lab.startLoop('198.51.100.7', SERVER4, PORT, 2_500);
    const moves = lab.startLoop('198.51.100.10', SERVER4, PORT, 2_500);
    await sleep(400);
    const stats = await fw.applyPlan(planB);
    t.log(`reload of ${stats.total} entries: ${stats.seconds.toFixed(3)} s`);
    const [s, m] = await Promise.all([stays, moves]);
    t.true(s.attempts > 0 && m.attempts > 0, JSON.stringify({ s, m }));
    t.is(s.open, 0);
    t.is(m.open, 0);
    t.is(await conn(lab, '198.51.100.8'), 'open');
    t.deepEqual(await fw.verify(expectedOf(planB)), []);
  });

  test('applyBatch adds and deletes through the session and through ipset restore', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '198.51.100.8', '2001:db8:1::7']);
    const plan: FirewallPlan = { sets: [planned('mod:LG', 'drop', {})] };
    await fw.applyPlan(plan);
    t.deepEqual(await reach(lab, ['198.51.100.7', '2001:db8:1::7']), { '198.51.100.7': 'open', '2001:db8:1::7': 'open' });

    const small: EntryOp[] = [
      { op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 },
      { op: 'add', source: 'mod:LG', entry: '2001:db8:1::7', family: 6 },
    ];
    await fw.applyBatch(small); // below the threshold: the interactive session
    t.deepEqual(await reach(lab, ['198.51.100.7', '2001:db8:1::7', '198.51.100.8']), {
      '198.51.100.7': 'blocked',
      '2001:db8:1::7': 'blocked',
      '198.51.100.8': 'open',
    });

    const big: EntryOp[] = bulk(3, 60).map((n) => ({ op: 'add', source: 'mod:LG', entry: `10.3.${(n >> 8) & 255}.${n & 255}`, family: 4 }));
    big.push({ op: 'add', source: 'mod:LG', entry: '198.51.100.8', family: 4 });
    await fw.applyBatch(big); // above the threshold: one ipset restore
    t.is(await conn(lab, '198.51.100.8'), 'blocked');

    await fw.applyBatch([{ op: 'del', source: 'mod:LG', entry: '198.51.100.7', family: 4 }]);
    t.is(await conn(lab, '198.51.100.7'), 'open');
    await fw.applyBatch(big.map((o) => ({ ...o, op: 'del' as const })));
    t.is(await conn(lab, '198.51.100.8'), 'open');
    t.is(await conn(lab, '2001:db8:1::7'), 'blocked');

    // Idempotent: adding what is there and deleting what is not are no errors, on both paths.
    await fw.applyBatch([...small, ...small, { op: 'del', source: 'mod:LG', entry: '198.51.100.99', family: 4 }]);
    await fw.applyBatch(Array.from({ length: 60 }, () => small[0]!));
  });

  test('a failed session batch rejects with WATCHER_E_FW_COMMAND and the next batch works', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7']);
    await fw.applyPlan({ sets: [planned('mod:LG', 'drop', {})] });
    const err = await t.throwsAsync(fw.applyBatch([{ op: 'add', source: 'mod:MX', entry: '198.51.100.7', family: 4 }]));
    t.true(err instanceof WatcherError && err.code === 'WATCHER_E_FW_COMMAND', String(err));
    t.regex(err!.message, /does not exist/);
    await fw.applyBatch([{ op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 }]);
    t.is(await conn(lab, '198.51.100.7'), 'blocked');
  });

  test('a master load leaves the live-ban session running, and the first ban goes through it', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7']);
    t.throws(() => sessionPid(lab), undefined, 'no session before the load');
    await fw.applyPlan({ sets: [planned('mod:LG', 'drop', {})] });
    const before = sessionPid(lab);
    await fw.applyBatch([{ op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 }]);
    t.is(sessionPid(lab), before, 'the ban used the session started by the load');
    t.is(await conn(lab, '198.51.100.7'), 'blocked');
  });

  test('a dead or hung session is replaced: the hung batch rejects, the next one applies', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '198.51.100.8', '198.51.100.9']);
    await fw.applyPlan({ sets: [planned('mod:LG', 'drop', {})] });
    const ban = (entry: string): EntryOp[] => [{ op: 'add', source: 'mod:LG', entry, family: 4 }];
    await fw.applyBatch(ban('198.51.100.7'));

    // Dies while idle: the next batch starts a new process. If the exit is noticed only after that batch was
    // written to the dying one, the batch rejects with WATCHER_E_FW_COMMAND and the retry (as fw-writer's) applies.
    process.kill(sessionPid(lab), 'SIGKILL');
    await sleep(100);
    await fw.applyBatch(ban('198.51.100.8')).catch((e: unknown) => {
      t.true(e instanceof WatcherError && e.code === 'WATCHER_E_FW_COMMAND', String(e));
      return fw.applyBatch(ban('198.51.100.8'));
    });

    process.kill(sessionPid(lab), 'SIGSTOP'); // hangs: no acknowledgement within the session's timeout
    const err = await t.throwsAsync(fw.applyBatch(ban('198.51.100.9')));
    t.true(err instanceof WatcherError && err.code === 'WATCHER_E_FW_COMMAND', String(err));
    await fw.applyBatch(ban('198.51.100.9'));
    t.deepEqual(await reach(lab, ['198.51.100.7', '198.51.100.8', '198.51.100.9']), {
      '198.51.100.7': 'blocked',
      '198.51.100.8': 'blocked',
      '198.51.100.9': 'blocked',
    });
  });

  test('live ban timings: single entries through the session, a 10,000-entry burst through restore', async (t) => {
    const { lab, fw } = await setup(t);
    await fw.applyPlan({ sets: [planned('mod:LG', 'drop', {}), planned('dl:feed', 'drop', { v4n: bulk(4, 100_000) })] });
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await fw.applyBatch([{ op: 'add', source: 'mod:LG', entry: `10.5.${i >> 8}.${i & 255}`, family: 4 }]);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    t.log(`single-entry applyBatch: median ${times[150]!.toFixed(2)} ms, p99 ${times[297]!.toFixed(2)} ms`);
    t.true(times[150]! < 20);

    const burst: EntryOp[] = bulk(6, 10_000).map((n) => ({ op: 'add', source: 'mod:LG', entry: `10.6.${(n >> 8) & 255}.${n & 255}`, family: 4 }));
    const t0 = performance.now();
    await fw.applyBatch(burst);
    const ms = performance.now() - t0;
    t.log(`10,000-entry burst: ${ms.toFixed(0)} ms`);
    t.true(ms < 1_000);
    t.regex(lab.inServer('ipset', ['list', '-t', 'wt-LG-4']), /Number of entries: 10300\n/);
  });

  test('verify reports a flushed set and a flushed ruleset; applyPlan repairs both', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '2001:db8:1::7']);
    const plan: FirewallPlan = {
      sets: [planned('whitelist', 'accept', {}), planned('blacklist', 'drop', { v4: ['198.51.100.7'], v6: ['2001:db8:1::7'] })],
    };
    await fw.applyPlan(plan);
    t.deepEqual(await fw.verify(expectedOf(plan)), []);

    lab.inServer('ipset', ['flush', 'wt-bl-4']);
    t.deepEqual((await fw.verify(expectedOf(plan))).map((d) => d.what), ['ipset wt-bl-4 (blacklist) is empty, expected 1 entries']);
    t.is(await conn(lab, '198.51.100.7'), 'open');

    lab.inServer(NFT, ['flush', 'ruleset']);
    const drifts = (await fw.verify(expectedOf(plan))).map((d) => d.what);
    t.true(drifts.includes('iptables: chain WATCHER is missing'), drifts.join('\n'));
    t.true(drifts.includes('ip6tables: chain WATCHER is missing'), drifts.join('\n'));
    t.true(drifts.includes('iptables: the jump to WATCHER is not the first INPUT rule'), drifts.join('\n'));
    t.is(await conn(lab, '2001:db8:1::7'), 'open');

    await fw.applyPlan(plan);
    t.deepEqual(await fw.verify(expectedOf(plan)), []);
    t.deepEqual(await reach(lab, ['198.51.100.7', '2001:db8:1::7']), { '198.51.100.7': 'blocked', '2001:db8:1::7': 'blocked' });
  });

  test('applyPlan keeps exactly one jump first in INPUT, after the admin added rules and a duplicate', async (t) => {
    const { lab, fw } = await setup(t);
    const plan: FirewallPlan = { sets: [planned('blacklist', 'drop', {})] };
    await fw.applyPlan(plan);
    lab.inServer('iptables', ['-I', 'INPUT', '1', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
    lab.inServer('iptables', ['-A', 'INPUT', '-j', 'WATCHER']);
    t.true((await fw.verify(expectedOf(plan))).some((d) => /not the first INPUT rule/.test(d.what)));
    await fw.applyPlan(plan);
    const input = lab.inServer('iptables', ['-S', 'INPUT']).split('\n').filter((l) => l.startsWith('-A INPUT'));
    t.deepEqual(input, ['-A INPUT -j WATCHER', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);
  });

  test('replaceSet swaps one source, adds a new source with its rule, leaves the others alone', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '198.51.100.8', '198.51.100.9']);
    const plan: FirewallPlan = {
      sets: [planned('blacklist', 'drop', { v4: ['198.51.100.7'] }), planned('dl:a', 'drop', { v4: ['198.51.100.8'] })],
    };
    await fw.applyPlan(plan);
    const stats = await fw.replaceSet(planned('dl:a', 'drop', { v4: ['198.51.100.9'] }), plan);
    t.deepEqual(stats.perSource, [{ source: 'dl:a', entries: 1 }]);
    t.deepEqual(await reach(lab, ['198.51.100.7', '198.51.100.8', '198.51.100.9']), {
      '198.51.100.7': 'blocked',
      '198.51.100.8': 'open',
      '198.51.100.9': 'blocked',
    });
    const withB = { sets: [...plan.sets, planned('dl:b', 'drop', { v4: ['198.51.100.8'] })] };
    await fw.replaceSet(withB.sets[2]!, withB);
    t.is(await conn(lab, '198.51.100.8'), 'blocked');
    t.regex(lab.inServer('iptables', ['-S', 'WATCHER']), /wt-dl-b-4 src -j DROP/);
    t.regex(lab.inServer('ip6tables', ['-S', 'WATCHER']), /wt-dl-b-6 src -j DROP/);
  });

  test('teardown removes chain, jumps and sets, is idempotent, and everything connects again', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7', '2001:db8:1::7']);
    await fw.teardown(); // nothing there yet: fine
    const plan: FirewallPlan = { sets: [planned('blacklist', 'drop', { v4: ['198.51.100.7'], v6: ['2001:db8:1::7'] }), planned('mod:LG', 'drop', {})] };
    await fw.applyPlan(plan);
    await fw.applyBatch([{ op: 'add', source: 'mod:LG', entry: '192.0.2.2', family: 4 }]);
    t.is(await conn(lab, '192.0.2.2'), 'blocked');
    // A set a crashed load left behind is Watcher's too.
    lab.inServer('ipset', ['create', 'wt-bl-4-t', 'hash:net']);
    await fw.teardown();
    t.notRegex(lab.inServer('ipset', ['list', '-n']), /wt-/);
    t.notRegex(lab.inServer('iptables', ['-S']), /WATCHER/);
    t.notRegex(lab.inServer('ip6tables', ['-S']), /WATCHER/);
    t.deepEqual(await reach(lab, ['198.51.100.7', '2001:db8:1::7', '192.0.2.2']), {
      '198.51.100.7': 'open',
      '2001:db8:1::7': 'open',
      '192.0.2.2': 'open',
    });
    await fw.teardown();
  });

  test('a plan drops stale Watcher sets and their rules', async (t) => {
    const { lab, fw } = await setup(t, ['198.51.100.7']);
    await fw.applyPlan({ sets: [planned('blacklist', 'drop', {}), planned('dl:old', 'drop', { v4: ['198.51.100.7'] })] });
    t.is(await conn(lab, '198.51.100.7'), 'blocked');
    await fw.applyPlan({ sets: [planned('blacklist', 'drop', {})] });
    t.is(await conn(lab, '198.51.100.7'), 'open');
    t.deepEqual(lab.inServer('ipset', ['list', '-n']).split('\n').filter(Boolean).sort(), ['wt-bl-4', 'wt-bl-6']);
  });
}
