// The control handlers for bans and addresses: list, show, ban, unban. Reads go through read-only
// database views and list files; writes (ban, unban) go to the module actors as events.
import { readFileSync, statSync } from 'node:fs';
import type { AnyActorRef } from 'xstate';
import { MODULE_NAMES, loadPoolDir, type ModuleName } from '../../actors/plan-sources.js';
import { poolFile } from '../../actors/dynload/pool-store.js';
import { moduleDbPath } from '../../actors/module/runtime.js';
import { ModuleReader } from '../adapters/db/module-reader.js';
import { readRuntimeWhitelist, runtimeWhitelistPath } from '../adapters/runtime-whitelist.js';
import { parseIp, formatIp } from '../core/ip.js';
import { parsePoolHeader } from '../core/pool-header.js';
import type { BanCommand } from '../control/cmd-bans.js';
import { askModule, lookupDeps, type ControlContext } from './ctl-context.js';
import { holdersOf, runtimeWhitelistHit, whitelistMatcher } from './set-lookup.js';
import type { WatcherConfig } from '../config/schema.js';

export interface ListedBan {
  source: string;
  entry: string;
  since: number | null;
  until: number | null;
  reason: string;
  state?: string;
}

function withReader<T>(config: WatcherConfig, m: ModuleName, fn: (r: ModuleReader) => T): T | undefined {
  const r = ModuleReader.open(moduleDbPath(config, m));
  if (!r) return undefined;
  try {
    return fn(r);
  } finally {
    r.close();
  }
}

/** The entries of one list file (first column of each line), at most `limit`, and how many it holds. */
function listFileEntries(file: string, source: string, since: number | null, reason: string, limit: number): { rows: ListedBan[]; total: number } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { rows: [], total: 0 };
  }
  const rows: ListedBan[] = [];
  let total = 0;
  for (const line of text.split('\n')) {
    const token = /^\s*([^\s#;]+)/.exec(line)?.[1];
    if (!token) continue;
    const r = parseIp(token);
    if (!r.ok) continue;
    total++;
    if (rows.length < limit) rows.push({ source, entry: formatIp(r.ip), since, until: null, reason });
  }
  return { rows, total };
}

function mtime(file: string): number | null {
  try {
    return Math.round(statSync(file).mtimeMs);
  } catch {
    return null;
  }
}

async function list(ctx: ControlContext, cmd: Extract<BanCommand, { cmd: 'list' }>) {
  const config = ctx.deps.holder.current;
  const source = cmd.source;
  if (source === 'blacklist') return { ...listFileEntries(config.lists.blacklist, 'blacklist', mtime(config.lists.blacklist), 'blacklist', cmd.limit) };
  if (source === 'whitelist') {
    const file = listFileEntries(config.lists.whitelist, 'whitelist', mtime(config.lists.whitelist), 'whitelist', cmd.limit);
    const runtime = readRuntimeWhitelist(runtimeWhitelistPath(config.state_dir)).map((e) => ({ source: 'whitelist', entry: e.entry, since: null, until: null, reason: `runtime: ${e.comment}` }));
    return { rows: [...file.rows, ...runtime].slice(0, cmd.limit), total: file.total + runtime.length };
  }
  if (source?.startsWith('dl:')) {
    const name = source.slice(3);
    if (!config.dynloaders[name]?.enabled) throw new Error(`dynloader ${name} is not enabled`);
    const file = poolFile(loadPoolDir(config), name);
    let since: number | null = null;
    try {
      const meta = parsePoolHeader(readFileSync(file, 'utf8').slice(0, 4096));
      since = meta ? Date.parse(meta.fetchedAt) : null;
    } catch {
      /* no list yet */
    }
    return listFileEntries(file, source, since, `dynloader ${name}`, cmd.limit);
  }
  const only = source?.startsWith('mod:') ? source.slice(4) : cmd.module;
  const now = Date.now();
  const rows: ListedBan[] = [];
  let total = 0;
  for (const m of MODULE_NAMES) {
    if (only !== undefined && m !== only) continue;
    const r = withReader(config, m, (db) => db.currentBans(now, cmd.limit));
    if (!r) continue;
    total += r.total;
    for (const b of r.rows) if (rows.length < cmd.limit) rows.push({ source: `mod:${m}`, entry: b.entry, since: b.since, until: b.until, reason: b.reason, state: b.state });
  }
  return { rows, total };
}

async function show(ctx: ControlContext, entry: string) {
  const config = ctx.deps.holder.current;
  const p = parseIp(entry);
  if (!p.ok) throw new Error(p.error);
  const host = p.ip.prefix === (p.ip.family === 4 ? 32 : 128);
  const modules = [];
  for (const m of MODULE_NAMES) {
    const r = withReader(config, m, (db) => ({
      module: m,
      offender: host ? (db.offenderOf(entry) ?? null) : null,
      affairs: host ? db.affairsOf(entry) : { rows: [], total: 0 },
      bans: db.bansCovering(p.ip),
    }));
    if (r && (r.offender || r.affairs.total > 0 || r.bans.length > 0)) modules.push(r);
  }
  const holders = await holdersOf(lookupDeps(ctx), entry);
  return {
    entry,
    whitelisted: holders.some((h) => h.source === 'whitelist' && h.how === 'covers'),
    runtimeWhitelist: runtimeWhitelistHit(config, entry) ?? null,
    sets: holders,
    modules,
  };
}

function moduleRef(ctx: ControlContext, m: string): AnyActorRef | undefined {
  return ctx.root.system.get(`module:${m}`) as AnyActorRef | undefined;
}

async function ban(ctx: ControlContext, cmd: Extract<BanCommand, { cmd: 'ban' }>) {
  const config = ctx.deps.holder.current;
  const enabled = MODULE_NAMES.filter((m) => config.modules[m].enabled);
  let module = cmd.module;
  if (module === undefined) {
    if (enabled.length === 0) throw new Error('no module is enabled: a ban belongs to a module (enable one under modules.<M>.enabled)');
    if (enabled.length > 1) throw new Error(`more than one module is enabled (${enabled.join(', ')}): say which one with --module`);
    module = enabled[0]!;
  }
  if (!enabled.includes(module)) throw new Error(`module ${module} is not enabled (enabled: ${enabled.join(', ') || 'none'})`);
  const wl = await whitelistMatcher(lookupDeps(ctx));
  if (wl.overlaps(cmd.entry)) {
    const rt = runtimeWhitelistHit(config, cmd.entry);
    const what = wl.covers(cmd.entry) ? 'is whitelisted' : 'overlaps whitelisted addresses';
    throw new Error(`${cmd.entry} ${what}${rt ? ` (runtime whitelist: ${rt.entry})` : ''}: not banned; remove it from the whitelist first`);
  }
  const ref = moduleRef(ctx, module);
  if (!ref) throw new Error(`module ${module} is not running`);
  const durationMs = cmd.forMs ?? config.modules[module].ban_time;
  const o = await askModule(ref, module, (reply) => ({ type: 'ban.manual', entry: cmd.entry, durationMs, reply }));
  if (!o.ok) throw new Error(`${module}: ${o.error}`);
  return { entry: cmd.entry, module, ...o.bans[0] };
}

async function unban(ctx: ControlContext, entry: string) {
  const config = ctx.deps.holder.current;
  const modules = [];
  const notRunning: string[] = [];
  for (const m of MODULE_NAMES) {
    const ref = moduleRef(ctx, m);
    if (!ref) {
      if (config.modules[m].enabled) notRunning.push(m);
      continue;
    }
    modules.push(await askModule(ref, m, (reply) => ({ type: 'unban.manual', entry, reply })));
  }
  const failed = modules.filter((o) => !o.ok);
  if (failed.length > 0 && failed.length === modules.length) throw new Error(failed.map((o) => `${o.module}: ${o.ok ? '' : o.error}`).join('; '));
  const holders = await holdersOf(lookupDeps(ctx), entry);
  return {
    entry,
    modules,
    notRunning,
    lifted: modules.reduce((n, o) => n + (o.ok ? o.bans.length : 0), 0),
    stillHeldBy: holders.filter((h) => h.source !== 'whitelist'),
    whitelisted: holders.some((h) => h.source === 'whitelist' && h.how === 'covers'),
  };
}

export function banHandler(ctx: ControlContext, cmd: BanCommand): Promise<unknown> {
  switch (cmd.cmd) {
    case 'list':
      return list(ctx, cmd);
    case 'show':
      return show(ctx, cmd.entry);
    case 'ban':
      return ban(ctx, cmd);
    case 'unban':
      return unban(ctx, cmd.entry);
  }
}
