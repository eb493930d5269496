// Reads every source of the full firewall plan: whitelist and blacklist files, the host's own
// addresses, the load pool (<state>/loadpool/<name>.list) and the modules' active bans, and turns
// them into a FirewallPlan. Reads only; never touches the firewall.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EntryCollector } from '../src/core/aggregate.js';
import { addAlwaysWhitelist } from '../src/core/always-whitelist.js';
import { describeProblem, type Problem } from '../src/core/errors.js';
import { parseListText } from '../src/core/list-file.js';
import { buildPlan, type PlanInputs } from '../src/core/plan-builder.js';
import type { SetEntries } from '../src/core/fw-plan.js';
import type { Exec } from '../src/adapters/exec.js';
import type { WatcherConfig } from '../src/config/schema.js';
import type { Logger } from '../src/log.js';
import { runtimeWhitelistPath } from '../src/adapters/runtime-whitelist.js';
import type { BuiltPlan } from '../machines/master-load.js';

export const MODULE_NAMES = ['LG', 'MX', 'MB', 'WB'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];

export interface PlanSourceDeps {
  config: WatcherConfig;
  exec: Exec;
  log: Logger;
  /** active bans of one module's database (the modules provide this; empty until they exist) */
  moduleBans?: (module: ModuleName) => Promise<SetEntries>;
}

/** At most this many problems per file are logged one by one; the rest are counted. */
const PROBLEMS_LOGGED_PER_FILE = 20;

export function loadPoolDir(config: WatcherConfig): string {
  return path.join(config.state_dir, 'loadpool');
}

/** Reads a list file into the collector; a missing file is an empty list, said once at info level. */
export async function readListFile(file: string, into: EntryCollector, log: Logger): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') log.info(`${file}: no such list, treated as empty`);
    else log.warn(`${file}: cannot read (${code ?? String(e)}), treated as empty; nothing already loaded is removed because of it`);
    return 0;
  }
  const problems = parseListText(text, file, into);
  logProblems(problems, log, file);
  return problems.length;
}

function logProblems(problems: readonly Problem[], log: Logger, file: string): void {
  for (const p of problems.slice(0, PROBLEMS_LOGGED_PER_FILE)) log.warn(describeProblem(p));
  if (problems.length > PROBLEMS_LOGGED_PER_FILE) log.warn(`${file}: ${problems.length - PROBLEMS_LOGGED_PER_FILE} more problems not shown`);
}

/** The host's own addresses, read where the firewall lives (its network namespace, if configured). */
export async function hostAddresses(exec: Exec): Promise<string[]> {
  try {
    const r = await exec.run('ip', ['-j', 'address', 'show'], { timeoutMs: 10_000 });
    if (r.code === 0) {
      const ifaces = JSON.parse(r.stdout) as { addr_info?: { local?: string }[] }[];
      return ifaces.flatMap((i) => (i.addr_info ?? []).map((a) => a.local ?? '')).filter((a) => a !== '');
    }
  } catch {
    /* fall through to Node's view */
  }
  if (exec.netns !== null) return [];
  return Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
}

/**
 * The effective whitelist (file + runtime whitelist + loopback + host + admin), aggregated: modules never
 * ban these. The runtime whitelist (`watcherctl whitelist add`) is read only when it exists.
 */
export async function collectWhitelist(deps: PlanSourceDeps): Promise<{ entries: SetEntries; problems: number }> {
  const { config, log } = deps;
  const c = new EntryCollector();
  let problems = await readListFile(config.lists.whitelist, c, log);
  const runtime = runtimeWhitelistPath(config.state_dir);
  if (existsSync(runtime)) problems += await readListFile(runtime, c, log);
  const always = addAlwaysWhitelist(c, {
    hostAddresses: config.lists.host_addresses ? await hostAddresses(deps.exec) : [],
    adminAddresses: config.lists.admin,
    adminLocation: { file: 'lists.admin' },
  });
  logProblems(always, log, 'lists.admin');
  problems += always.length;
  return { entries: c.finish(), problems };
}

async function collectFile(file: string, log: Logger): Promise<{ entries: SetEntries; problems: number }> {
  const c = new EntryCollector(64 * 1024);
  const problems = await readListFile(file, c, log);
  return { entries: c.finish(), problems };
}

/** The load pool lists of the enabled dynloaders; a pool file of an unconfigured loader is skipped. */
async function collectLoadPool(deps: PlanSourceDeps): Promise<{ lists: { name: string; entries: SetEntries }[]; problems: number }> {
  const { config, log } = deps;
  const dir = loadPoolDir(config);
  const enabled = Object.entries(config.dynloaders)
    .filter(([, d]) => d.enabled)
    .map(([name]) => name)
    .sort();
  let present: string[] = [];
  try {
    present = (await readdir(dir)).filter((f) => f.endsWith('.list')).map((f) => f.slice(0, -5));
  } catch {
    /* no pool yet */
  }
  for (const name of present) if (!enabled.includes(name)) log.info(`${path.join(dir, name + '.list')}: dynloader "${name}" is not enabled, its list is not loaded`);
  const lists: { name: string; entries: SetEntries }[] = [];
  let problems = 0;
  for (const name of enabled) {
    if (!present.includes(name)) {
      lists.push({ name, entries: new EntryCollector().finish() });
      continue;
    }
    const r = await collectFile(path.join(dir, `${name}.list`), log);
    lists.push({ name, entries: r.entries });
    problems += r.problems;
  }
  return { lists, problems };
}

/** Reads every source and builds the plan; measures how long that took. */
export async function buildFullPlan(deps: PlanSourceDeps): Promise<BuiltPlan> {
  const t0 = performance.now();
  const { config } = deps;
  const [wl, bl, pool] = await Promise.all([
    collectWhitelist(deps),
    collectFile(config.lists.blacklist, deps.log),
    collectLoadPool(deps),
  ]);
  const modules: PlanInputs['modules'] = [];
  for (const m of MODULE_NAMES) {
    if (!config.modules[m]?.enabled) continue;
    modules.push({ name: m, entries: deps.moduleBans ? await deps.moduleBans(m) : new EntryCollector().finish() });
  }
  const plan = buildPlan({ whitelist: wl.entries, blacklist: bl.entries, dynloaders: pool.lists, modules });
  return { plan, planSeconds: (performance.now() - t0) / 1000, problems: wl.problems + bl.problems + pool.problems };
}
