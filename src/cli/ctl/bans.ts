// `watcherctl list`, `show`, `ban` and `unban` (alias `freeme`): bans and everything known about
// one address, printed for humans or as JSON.
import { parseDuration } from '../../config/duration.js';
import type { ListedBan } from '../../daemon/ctl-bans.js';
import { ask, configOf, EXIT, pad, printJson, when, UsageError, type CtlFlags } from './common.js';

/** one ban as the daemon lists it */
type Row = ListedBan;

export async function listCommand(args: string[], flags: CtlFlags): Promise<number> {
  if (args.length > 0) throw new UsageError('list takes no arguments (use --module M or --source S)');
  const limit = flags.limit === undefined ? undefined : Number(flags.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError('--limit needs a positive whole number');
  const a = await ask<{ rows: Row[]; total: number }>(configOf(flags), {
    cmd: 'list',
    ...(flags.module ? { module: flags.module as 'LG' } : {}),
    ...(flags.source ? { source: flags.source } : {}),
    limit: limit ?? 1000,
  });
  if (!a.ok) return a.code;
  if (flags.json) {
    printJson(a.result);
    return EXIT.ok;
  }
  const { rows, total } = a.result;
  if (rows.length === 0) {
    console.log('no active bans');
    return EXIT.ok;
  }
  const w = Math.max(5, ...rows.map((r) => r.entry.length));
  console.log(`${pad('SOURCE', 10)} ${pad('ENTRY', w)} ${pad('SINCE', 20)} ${pad('UNTIL', 20)} REASON`);
  for (const r of rows) {
    // a module ban without an end is permanent; a list entry stays as long as its list holds it
    const until = when(r.until, r.source.startsWith('mod:') ? 'permanent' : '-');
    console.log(`${pad(r.source, 10)} ${pad(r.entry, w)} ${pad(when(r.since), 20)} ${pad(until, 20)} ${r.reason}${r.state === 'pending' ? ' (pending)' : ''}`);
  }
  if (total > rows.length) console.log(`(${rows.length} of ${total} shown; --limit N shows more)`);
  return EXIT.ok;
}

interface ShowResult {
  entry: string;
  whitelisted: boolean;
  runtimeWhitelist: { entry: string; comment: string } | null;
  sets: { source: string; how: string; entries?: string[] }[];
  modules: {
    module: string;
    offender: { dnsClass: string; inWindow: number; weightInWindow: number; bans: number; firstSeen: number; lastSeen: number } | null;
    affairs: { rows: { time: number; rule: string; event: string; weight: number; user: string | null; vhost: string | null }[]; total: number };
    bans: { entry: string; since: number; until: number | null; state: string; reason: string; rule: string | null }[];
  }[];
}

function oneEntry(args: string[], cmd: string): string {
  if (args.length !== 1) throw new UsageError(`${cmd} needs exactly one IP address or CIDR`);
  return args[0]!;
}

export async function showCommand(args: string[], flags: CtlFlags): Promise<number> {
  const entry = oneEntry(args, 'show');
  const a = await ask<ShowResult>(configOf(flags), { cmd: 'show', entry });
  if (!a.ok) return a.code;
  const r = a.result;
  if (flags.json) {
    printJson(r);
    return EXIT.ok;
  }
  const out: string[] = [r.entry];
  out.push(`  whitelisted: ${r.whitelisted ? 'yes' : 'no'}${r.runtimeWhitelist ? ` (runtime whitelist ${r.runtimeWhitelist.entry}: ${r.runtimeWhitelist.comment})` : ''}`);
  const held = r.sets.filter((s) => s.source !== 'whitelist');
  out.push(`  in sets: ${held.length === 0 ? 'none' : held.map((s) => `${s.source}${s.entries ? ` (${s.entries.join(', ')})` : ''}${s.how === 'overlaps' ? ' (partly)' : ''}`).join(', ')}`);
  if (r.modules.length === 0) out.push('  no module has seen it');
  for (const m of r.modules) {
    out.push(`  module ${m.module}:`);
    if (m.offender) {
      const o = m.offender;
      out.push(`    offender: DNS class ${o.dnsClass}, ${o.inWindow} affairs in window (weight ${o.weightInWindow}), ${o.bans} bans so far, first seen ${when(o.firstSeen)}, last seen ${when(o.lastSeen)}`);
    }
    out.push(`    affairs: ${m.affairs.total}${m.affairs.total > m.affairs.rows.length ? ` (newest ${m.affairs.rows.length} shown)` : ''}`);
    for (const f of m.affairs.rows) {
      out.push(`      ${when(f.time)}  ${pad(f.rule, 24)} ${f.event}${f.weight !== 1 ? ` weight ${f.weight}` : ''}${f.user ? ` user ${f.user}` : ''}${f.vhost ? ` vhost ${f.vhost}` : ''}`);
    }
    for (const b of m.bans) out.push(`    ban ${b.entry} ${b.state}: ${when(b.since)} until ${when(b.until, 'permanent')}, ${b.reason}${b.rule ? ` (rule ${b.rule})` : ''}`);
  }
  console.log(out.join('\n'));
  return EXIT.ok;
}

export async function banCommand(args: string[], flags: CtlFlags): Promise<number> {
  const entry = oneEntry(args, 'ban');
  let forMs: number | undefined;
  if (flags.for !== undefined) {
    const d = parseDuration(flags.for);
    if (!d.ok || d.ms <= 0) throw new UsageError(`--for: ${d.ok ? 'must be longer than 0' : d.message}`);
    forMs = d.ms;
  }
  const a = await ask<{ entry: string; module: string; since: number; until: number | null; state: string }>(configOf(flags), {
    cmd: 'ban',
    entry,
    ...(flags.module ? { module: flags.module as 'LG' } : {}),
    ...(forMs !== undefined ? { forMs } : {}),
  });
  if (!a.ok) return a.code;
  if (flags.json) printJson(a.result);
  else console.log(`banned ${a.result.entry} in ${a.result.module} until ${when(a.result.until, 'permanent')} (reason manual)`);
  return EXIT.ok;
}

interface UnbanResult {
  entry: string;
  modules: ({ ok: true; module: string; bans: { entry: string }[]; affairsCleared: number; offenderCleared: boolean } | { ok: false; module: string; error: string })[];
  notRunning: string[];
  lifted: number;
  stillHeldBy: { source: string; how: string; entries?: string[] }[];
  whitelisted: boolean;
}

export async function unbanCommand(args: string[], flags: CtlFlags): Promise<number> {
  const entry = oneEntry(args, 'unban');
  const a = await ask<UnbanResult>(configOf(flags), { cmd: 'unban', entry });
  if (!a.ok) return a.code;
  const r = a.result;
  const cleared = r.modules.some((m) => m.ok && (m.affairsCleared > 0 || m.offenderCleared));
  if (flags.json) printJson(r);
  else {
    for (const m of r.modules) {
      if (!m.ok) console.log(`${m.module}: failed: ${m.error}`);
      else if (m.bans.length > 0 || m.affairsCleared > 0 || m.offenderCleared) {
        console.log(`${m.module}: ${m.bans.length > 0 ? 'ban lifted' : 'not banned'}; ${m.affairsCleared} affairs${m.offenderCleared ? ' and the offender history' : ''} cleared`);
      }
    }
    if (r.lifted === 0 && !cleared) console.log(`${r.entry}: no module had a ban or history of it`);
    for (const m of r.notRunning) console.log(`${m}: not running, its database was not changed`);
    for (const h of r.stillHeldBy) {
      const what = h.source === 'blacklist' ? 'the static blacklist (edit lists.blacklist, then reload)' : h.source.startsWith('dl:') ? `dynloader list ${h.source.slice(3)} (until its next download drops it)` : `${h.source} (${(h.entries ?? []).join(', ')})`;
      console.log(`still blocked by ${what}${h.how === 'overlaps' ? ' in part' : ''}`);
    }
  }
  return r.lifted > 0 || cleared ? EXIT.ok : EXIT.error;
}
