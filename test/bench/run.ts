// `npm run bench`: runs every benchmark and prints one JSON document on stdout (progress on stderr).
// Firewall parts need root and network namespaces; without them they are skipped with the reason.
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { benchAggregate } from './aggregate.bench.js';
import { benchPipeline } from './pipeline.bench.js';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-flags.js';
import { benchBanLatency, benchDaemonRss } from './module.bench.js';
import { benchHeaders } from './logline.bench.js';
import { benchRules } from './rules.bench.js';
import { benchRecord } from './db.bench.js';
import { benchFileSource, benchAppendLatency } from './sources.bench.js';
import { benchDynloadReplace } from './dynload.bench.js';
import { bareIpsetRestore, benchNamespace, daemonMasterLoad, generateListText, listEntries, liveBans } from './firewall.bench.js';

const note = (m: string) => process.stderr.write(`bench: ${m}\n`);
const r3 = (x: number) => Math.round(x * 1000) / 1000;

function firewallSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return 'no ip netns';
  }
  return null;
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (k: string) => only.length === 0 || only.includes(k);
  const out: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg().map(r3) },
  };
  if (want('aggregate')) {
    note('aggregate: parse + aggregate 1,000,000 list entries');
    out.aggregate = await benchAggregate(1_000_000);
  }
  if (want('pipeline')) {
    note('pipeline: 1,000,000-line mixed syslog (LG+MX+MB) and 1,000,000-line nginx access log (WB), one core');
    out.pipeline = await benchPipeline(1_000_000);
    note('pipeline again with the daemon\'s Node flags (a small heap: the figure the daemon reaches)');
    out.pipelineDaemonFlags = await benchPipeline(1_000_000, 3, DAEMON_NODE_FLAGS);
  }
  if (want('parts')) {
    note('parts: header parsing, rules, database, file source');
    out.parts = {
      headers: benchHeaders(1_000_000),
      rules: await benchRules(200_000),
      db: benchRecord(100_000),
      fileSource: await benchFileSource(1_000_000),
      appendLatency: await benchAppendLatency(1000),
    };
  }
  if (want('rss')) {
    note('rss: a real daemon idle with four modules, then with 100,000 offenders');
    out.daemonRss = await benchDaemonRss(100_000);
  }
  const skip = firewallSkipReason();
  if (!skip && want('latency')) {
    note('latency: line written to the LG FIFO -> address in the kernel set, 1,000 bans');
    out.banLatency = await benchBanLatency(1000);
  }
  if (!skip && want('dynload')) {
    const runs: unknown[] = [];
    for (const backend of ['ipset', 'nftables'] as const) {
      note(`dynload: replace a 100,000-entry loader set on ${backend}`);
      const { ns, cleanup } = benchNamespace();
      try {
        runs.push(await benchDynloadReplace(ns, backend, 100_000));
      } finally {
        cleanup();
      }
    }
    out.dynloadReplace = runs;
  }
  if (skip) {
    out.firewall = { skipped: skip };
  } else if (want('masterload') || want('livebans')) {
    const masterLoad: unknown[] = [];
    const live: unknown[] = [];
    for (const n of [100_000, 1_000_000]) {
      const text = generateListText(n);
      const entries = listEntries(text);
      if (want('masterload')) {
        const { ns, cleanup } = benchNamespace();
        try {
          note(`bare ipset restore of ${n} entries`);
          const ref = await bareIpsetRestore(ns, entries);
          for (const backend of ['ipset', 'nftables'] as const) {
            note(`master load of ${n} entries, ${backend}`);
            const load = await daemonMasterLoad(ns, backend, text);
            masterLoad.push({ ...load, listEntries: n, bareIpsetRestoreSeconds: r3(ref), ratioToBare: r3(load.loadSeconds / ref) });
          }
        } finally {
          cleanup();
        }
      }
      if (want('livebans') && n === 1_000_000) {
        for (const backend of ['ipset', 'nftables'] as const) {
          const { ns, cleanup } = benchNamespace();
          try {
            // Each nft command re-reads the whole ruleset (seconds with a large interval set): fewer samples.
            const [bans, burst] = backend === 'ipset' ? [1000, 10_000] : [20, 10_000];
            note(`live bans on ${backend}: ${bans} single + burst of ${burst}, set of ${n}`);
            live.push(await liveBans(ns, backend, text, bans, burst));
          } finally {
            cleanup();
          }
        }
      }
    }
    out.masterLoad = masterLoad;
    out.liveBans = live;
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
