// The nftables backend against real packets: each test builds its own namespace lab, loads plans into
// the server namespace only, and connects from the peer. Skipped (with the reason) when not root.
import { execFileSync } from 'node:child_process';
import test, { type ExecutionContext } from 'ava';
import { Exec, which } from '../../src/adapters/exec.js';
import { EntryCollector } from '../../src/core/aggregate.js';
import { parseIpValue } from '../../src/core/ip.js';
import { WatcherError } from '../../src/core/errors.js';
import { expectedOf, formatV4, type FirewallPlan, type PlannedSet, type SetEntries, type SourceName, type Verdict } from '../../src/core/fw-plan.js';
import { NftBackend } from '../../actors/fw/nft-backend.js';
import { createLab, netnsUnavailable, PEER4, SERVER4, SERVER6, type Lab } from '../helpers/netns.js';

const PORT = 8080;
// Never plain 'nft' here: under npx, node_modules/.bin/nft is @vercel/nft (see Exec's which).
const NFT = which('nft') ?? 'nft-not-installed';

function entries(list: string[], filler: Uint32Array = new Uint32Array(0)): SetEntries {
  const c = new EntryCollector(filler.length + 16);
  for (const n of filler) c.addV4(n, 32);
  for (const s of list) {
    const r = parseIpValue(s);
    if (!r.ok) throw new Error(r.error);
    c.add(r.ip);
  }
  return c.finish();
}

function set(source: SourceName, verdict: Verdict, list: string[], filler?: Uint32Array): PlannedSet {
  return { source, verdict, entries: entries(list, filler) };
}

/** n distinct addresses in 10.0.0.0/8 from offset on: bulk that no lab address falls into. */
function filler(n: number, offset = 0): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = (10 << 24) + offset + i * 3;
  return a;
}

async function ready(t: ExecutionContext, peerAddrs: string[]): Promise<{ lab: Lab; fw: NftBackend; logs: string[] }> {
  const lab = createLab(t);
  for (const a of peerAddrs) lab.addPeerAddress(a);
  await lab.serve(PORT);
  pinServerNeighbour(lab);
  const logs: string[] = [];
  const fw = new NftBackend(new Exec(lab.server), { hookPriority: -10, log: (m) => logs.push(m) });
  return { lab, fw, logs };
}

/**
 * The peer resolves the server's IPv6 address with a neighbour solicitation sourced from whichever of
 * its addresses connects first; when that one is banned the solicitation is dropped and every other
 * address of the peer stalls too. A permanent entry keeps the test about the rules, not about ND.
 */
function pinServerNeighbour(lab: Lab): void {
  const links = JSON.parse(execFileSync('ip', ['-n', lab.server, '-j', 'link', 'show', 'eth0'], { encoding: 'utf8' })) as { address: string }[];
  execFileSync('ip', ['-n', lab.peer, '-6', 'neigh', 'replace', SERVER6, 'lladdr', links[0]!.address, 'dev', 'eth0', 'nud', 'permanent']);
}

function reach(lab: Lab, src: string): Promise<string> {
  return lab.connect(src, src.includes(':') ? SERVER6 : SERVER4, PORT);
}

async function expectReach(t: ExecutionContext, lab: Lab, want: Record<string, 'open' | 'blocked'>): Promise<void> {
  const got = Object.fromEntries(await Promise.all(Object.keys(want).map(async (src) => [src, await reach(lab, src)] as const)));
  t.deepEqual(got, want);
}

const why = netnsUnavailable() ?? (which('nft') === null ? 'nftables (nft) is not installed' : null);
if (why) {
  console.log(`SKIP nft backend tests: ${why}`);
  test.skip('nft backend: real packets', () => undefined);
} else {
  test('drops listed IPv4/IPv6 addresses and networks; whitelist returns inside a blacklisted network', async (t) => {
    const peers = ['198.51.100.7', '198.51.100.8', '203.0.113.9', '203.0.113.50', '2001:db8:1::7', '2001:db8:1::8', '2001:db8:1:2::9', '2001:db8:1:2::50'];
    const { lab, fw } = await ready(t, peers);
    const plan: FirewallPlan = {
      sets: [
        set('whitelist', 'accept', ['203.0.113.50', '2001:db8:1:2::50']),
        set('blacklist', 'drop', ['198.51.100.7', '203.0.113.0/24', '2001:db8:1::7', '2001:db8:1:2::/64']),
        set('dl:empty', 'drop', []),
      ],
    };
    const stats = await fw.applyPlan(plan);
    t.is(stats.total, 6);
    t.deepEqual(stats.perSource.map((s) => s.entries), [2, 4, 0]);
    await expectReach(t, lab, {
      [PEER4]: 'open',
      '198.51.100.7': 'blocked',
      '198.51.100.8': 'open',
      '203.0.113.9': 'blocked',
      '203.0.113.50': 'open',
      '2001:db8:1::7': 'blocked',
      '2001:db8:1::8': 'open',
      '2001:db8:1:2::9': 'blocked',
      '2001:db8:1:2::50': 'open',
    });
    t.deepEqual(await fw.verify(expectedOf(plan)), []);
  });

  test('reload from plan A to plan B leaves no window; an address only in A is reachable after', async (t) => {
    const both = '198.51.100.7';
    const onlyA = '198.51.100.9';
    const { lab, fw } = await ready(t, [both, onlyA]);
    // Big enough that the transaction takes about a second while the connect loop runs.
    const planA: FirewallPlan = { sets: [set('blacklist', 'drop', [both, onlyA, '203.0.113.0/24'], filler(300_000))] };
    const planB: FirewallPlan = { sets: [set('blacklist', 'drop', [both, '203.0.113.0/25'], filler(300_000, 1))] };
    await fw.applyPlan(planA);
    await expectReach(t, lab, { [both]: 'blocked', [onlyA]: 'blocked' });
    const loop = lab.startLoop(both, SERVER4, PORT, 4000);
    const loopEnd = loop.then(() => Date.now());
    await new Promise((r) => setTimeout(r, 500));
    const stats = await fw.applyPlan(planB);
    const applyEnd = Date.now();
    const result = await loop;
    t.log(`applyPlan of ${stats.total} entries during the loop: ${stats.seconds.toFixed(2)} s; loop ${JSON.stringify(result)}`);
    t.true(applyEnd < (await loopEnd), 'the whole transaction ran while the loop was connecting');
    t.true(result.attempts > 0);
    t.is(result.open, 0);
    await expectReach(t, lab, { [both]: 'blocked', [onlyA]: 'open' });
  });

  test('applyBatch adds and removes entries live; absent removals and repeated adds do not fail', async (t) => {
    const { lab, fw, logs } = await ready(t, ['198.51.100.7', '203.0.113.9', '2001:db8:1::7', '2001:db8:1:2::9']);
    const plan: FirewallPlan = { sets: [set('blacklist', 'drop', []), set('mod:LG', 'drop', ['198.51.100.200'])] };
    await fw.applyPlan(plan);
    await expectReach(t, lab, { '198.51.100.7': 'open', '203.0.113.9': 'open', '2001:db8:1::7': 'open', '2001:db8:1:2::9': 'open' });
    await fw.applyBatch([
      { op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 },
      { op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 },
      { op: 'add', source: 'blacklist', entry: '203.0.113.0/24', family: 4 },
      { op: 'add', source: 'mod:LG', entry: '2001:db8:1::7', family: 6 },
      { op: 'add', source: 'blacklist', entry: '2001:db8:1:2::/64', family: 6 },
    ]);
    await expectReach(t, lab, { '198.51.100.7': 'blocked', '203.0.113.9': 'blocked', '2001:db8:1::7': 'blocked', '2001:db8:1:2::9': 'blocked' });
    await fw.applyBatch([
      { op: 'del', source: 'mod:LG', entry: '198.51.100.7', family: 4 },
      { op: 'del', source: 'mod:LG', entry: '198.51.100.99', family: 4 }, // absent
      { op: 'del', source: 'blacklist', entry: '198.18.0.0/15', family: 4 }, // absent network
      { op: 'del', source: 'mod:LG', entry: '2001:db8:1::7', family: 6 },
      { op: 'add', source: 'blacklist', entry: '2001:db8:1:3::/64', family: 6 },
      { op: 'del', source: 'blacklist', entry: '2001:db8:1:3::/64', family: 6 }, // last op wins
    ]);
    await expectReach(t, lab, { '198.51.100.7': 'open', '203.0.113.9': 'blocked', '2001:db8:1::7': 'open', '2001:db8:1:2::9': 'blocked' });
    // Networks are planned against the interval set: inside a present net is a no-op, around present
    // nets replaces them, a part of a net cannot be unbanned. None of this fails the batch.
    await fw.applyBatch([
      { op: 'add', source: 'blacklist', entry: '203.0.113.0/25', family: 4 },
      { op: 'add', source: 'mod:LG', entry: '198.51.100.7', family: 4 },
    ]);
    t.true(logs.includes('nft set bl_v4n: 203.0.113.0/25 is inside 203.0.113.0/24: already blocked'), logs.join('\n'));
    await fw.applyBatch([{ op: 'add', source: 'blacklist', entry: '203.0.112.0/23', family: 4 }]);
    t.regex(lab.inServer(NFT, ['list', 'set', 'inet', 'watcher', 'bl_v4n']), /elements = \{ 203\.0\.112\.0\/23 \}/);
    await fw.applyBatch([{ op: 'del', source: 'blacklist', entry: '203.0.113.0/25', family: 4 }]);
    await expectReach(t, lab, { '198.51.100.7': 'blocked', '203.0.113.9': 'blocked' });
    await fw.applyBatch([{ op: 'del', source: 'blacklist', entry: '203.0.112.0/23', family: 4 }]);
    await expectReach(t, lab, { '198.51.100.7': 'blocked', '203.0.113.9': 'open' });
    await t.throwsAsync(fw.applyBatch([{ op: 'add', source: 'blacklist', entry: '1.2.3.4 } flush ruleset', family: 4 }]), {
      instanceOf: WatcherError,
    });
  });

  test('verify reports flushed ruleset, emptied set and missing rules; applyPlan repairs', async (t) => {
    const { lab, fw } = await ready(t, ['198.51.100.7', '203.0.113.9']);
    const plan: FirewallPlan = {
      sets: [set('whitelist', 'accept', []), set('blacklist', 'drop', ['198.51.100.7', '198.51.100.100', '203.0.113.0/24', '2001:db8:9::1'], filler(1000))],
    };
    const expected = expectedOf(plan);
    await fw.applyPlan(plan);
    t.deepEqual(await fw.verify(expected), []);

    lab.inServer(NFT, ['flush', 'ruleset']);
    t.deepEqual(await fw.verify(expected), [{ what: 'table inet watcher is missing' }]);
    await expectReach(t, lab, { '198.51.100.7': 'open' });
    await fw.applyPlan(plan);
    t.deepEqual(await fw.verify(expected), []);

    lab.inServer(NFT, ['flush', 'set', 'inet', 'watcher', 'bl_v4']);
    t.deepEqual(await fw.verify(expected), [{ what: 'set bl_v4 holds none of its entries (emptied)' }]);
    await expectReach(t, lab, { '198.51.100.7': 'open', '203.0.113.9': 'blocked' });
    // A fresh backend knows no samples: it lists the sets, and sees bl_v4n still holding entries.
    const fresh = new NftBackend(new Exec(lab.server), { hookPriority: -10 });
    t.deepEqual(await fresh.verify(expected), []);
    lab.inServer(NFT, ['flush', 'set', 'inet', 'watcher', 'bl_v4n']);
    t.deepEqual(await fresh.verify(expected), [{ what: 'sets bl_v4 and bl_v4n are empty, expected 1003 entries' }]);
    await fw.applyPlan(plan);
    t.deepEqual(await fw.verify(expected), []);
    await expectReach(t, lab, { '198.51.100.7': 'blocked', '203.0.113.9': 'blocked' });

    lab.inServer(NFT, ['flush', 'chain', 'inet', 'watcher', 'input']);
    lab.inServer(NFT, ['delete', 'set', 'inet', 'watcher', 'wl_v6n']);
    const drifts = (await fw.verify(expected)).map((d) => d.what);
    t.true(drifts.includes('set wl_v6n is missing'), drifts.join('; '));
    t.true(drifts.includes('rule "ip saddr @bl_v4 drop" is missing from chain input'), drifts.join('; '));
    t.is(drifts.length, 9);
    await fw.applyPlan(plan);
    t.deepEqual(await fw.verify(expected), []);

    // Live unbans of every single address empty bl_v4 legitimately: no drift (bl_v4n still holds).
    const singles = [...plan.sets[1]!.entries.v4].map((n) => ({ op: 'del' as const, source: 'blacklist' as const, entry: formatV4(n), family: 4 as const }));
    await fw.applyBatch(singles);
    t.deepEqual(await fw.verify(expected), []);
    await expectReach(t, lab, { '198.51.100.7': 'open', '203.0.113.9': 'blocked' });
  });

  test('replaceSet refills one source and adds a new one; other sources stay untouched', async (t) => {
    const { lab, fw } = await ready(t, ['198.51.100.7', '203.0.113.9', '203.0.113.10', '198.51.100.20', '2001:db8:1::7']);
    const bl = set('blacklist', 'drop', ['198.51.100.7', '2001:db8:1::7']);
    const plan: FirewallPlan = { sets: [set('whitelist', 'accept', []), bl, set('dl:spam-x', 'drop', ['203.0.113.9', '203.0.113.128/25'])] };
    await fw.applyPlan(plan);
    // A live ban in the blacklist: a refill of another source must keep it.
    await fw.applyBatch([{ op: 'add', source: 'blacklist', entry: '198.51.100.20', family: 4 }]);
    await expectReach(t, lab, { '203.0.113.9': 'blocked', '203.0.113.10': 'open', '198.51.100.20': 'blocked' });

    const spam2 = set('dl:spam-x', 'drop', ['203.0.113.10', '203.0.113.64/26']);
    const plan2: FirewallPlan = { sets: [plan.sets[0]!, bl, spam2] };
    const stats = await fw.replaceSet(spam2, plan2);
    t.deepEqual(stats.perSource, [{ source: 'dl:spam-x', entries: 2 }]);
    await expectReach(t, lab, { '203.0.113.9': 'open', '203.0.113.10': 'blocked', '198.51.100.7': 'blocked', '198.51.100.20': 'blocked', '2001:db8:1::7': 'blocked' });
    const spamList = lab.inServer(NFT, ['list', 'set', 'inet', 'watcher', 'dl_spam_x_v4n']);
    t.false(spamList.includes('203.0.113.128/25'));
    t.true(spamList.includes('203.0.113.64/26'));

    const spam3 = set('dl:spam-x', 'drop', ['203.0.113.9']);
    await fw.replaceSet(spam3, { sets: [plan.sets[0]!, bl, spam3] });
    await expectReach(t, lab, { '203.0.113.9': 'blocked', '203.0.113.10': 'open', '198.51.100.20': 'blocked' });

    const fresh = set('dl:fresh', 'drop', ['198.51.100.8/29']);
    lab.addPeerAddress('198.51.100.9');
    const plan4: FirewallPlan = { sets: [plan.sets[0]!, bl, spam3, fresh] };
    await fw.replaceSet(fresh, plan4);
    await expectReach(t, lab, { '198.51.100.9': 'blocked', '198.51.100.7': 'blocked', '203.0.113.9': 'blocked' });
    t.deepEqual(await fw.verify(expectedOf(plan4)), []);
    t.regex(lab.inServer(NFT, ['list', 'set', 'inet', 'watcher', 'bl_v4']), /198\.51\.100\.20/);
  });

  test('teardown removes the table, reopens everything, and is idempotent', async (t) => {
    const { lab, fw } = await ready(t, ['198.51.100.7', '2001:db8:1::7']);
    await fw.applyPlan({ sets: [set('blacklist', 'drop', ['198.51.100.7', '2001:db8:1::7'])] });
    await expectReach(t, lab, { '198.51.100.7': 'blocked', '2001:db8:1::7': 'blocked' });
    await fw.teardown();
    await fw.teardown();
    t.notRegex(lab.inServer(NFT, ['list', 'tables']), /watcher/);
    await expectReach(t, lab, { '198.51.100.7': 'open', '2001:db8:1::7': 'open', [PEER4]: 'open' });
    t.deepEqual(await fw.verify(expectedOf({ sets: [] })), [{ what: 'table inet watcher is missing' }]);
    // replaceSet on a blank firewall builds table, chain and every set of the plan by itself.
    const bl = set('blacklist', 'drop', ['198.51.100.7']);
    const plan: FirewallPlan = { sets: [set('whitelist', 'accept', []), bl] };
    await fw.replaceSet(bl, plan);
    await expectReach(t, lab, { '198.51.100.7': 'blocked', '2001:db8:1::7': 'open' });
    t.deepEqual(await fw.verify(expectedOf(plan)), []);
  });

  test('probe finds nft and kernel sets here, names the package when nft is missing', async (t) => {
    const lab = createLab(t);
    const fw = new NftBackend(new Exec(lab.server), { hookPriority: -10 });
    t.deepEqual(await fw.probe(), []);
    t.notRegex(lab.inServer(NFT, ['list', 'tables']), /watcher_probe/);

    const noNft = new NftBackend(new Exec(lab.server), { hookPriority: -10, nftPath: '/nonexistent/nft' });
    const missing = await noNft.probe();
    t.is(missing.length, 1);
    t.regex(missing[0]!.fix, /apt-get install nftables/);
    const err = await t.throwsAsync(noNft.teardown(), { instanceOf: WatcherError });
    t.is(err?.code, 'WATCHER_E_FW_MISSING');
  });
}
