// Which sources' entries hold an address, for `show`, `unban` and `ban`: the effective whitelist, the
// runtime whitelist, the blacklist file, each enabled dynloader's load pool list, and each module's bans
// in force (read-only database views). Reads files and databases; never touches the firewall.
import { statSync } from 'node:fs';
import { EntryCollector } from '../core/aggregate.js';
import { AddressMatcher } from '../core/ip-matcher.js';
import { parseIp, type IpValue } from '../core/ip.js';
import { collectWhitelist, loadPoolDir, MODULE_NAMES, readListFile } from '../../actors/plan-sources.js';
import { poolFile } from '../../actors/dynload/pool-store.js';
import { moduleDbPath } from '../../actors/module/runtime.js';
import { contains, ModuleReader } from '../adapters/db/module-reader.js';
import { readRuntimeWhitelist, runtimeWhitelistPath } from '../adapters/runtime-whitelist.js';
import type { Exec } from '../adapters/exec.js';
import type { WatcherConfig } from '../config/schema.js';
import type { Logger } from '../log.js';

export interface Holder {
  /** whitelist, blacklist, dl:<name> or mod:<M> */
  source: string;
  /** covers: the whole address or network is in the set; overlaps: only part of it */
  how: 'covers' | 'overlaps';
  /** the module ban entries that hold it (mod:<M> only) */
  entries?: string[];
}

// Matchers of list files, rebuilt only when a file's size or modification time changed: a load pool
// list may hold a million entries, and `show` should not parse it again each time.
const cache = new Map<string, { key: string; matcher: AddressMatcher }>();

async function fileMatcher(file: string, log: Logger): Promise<AddressMatcher | null> {
  let key: string;
  try {
    const st = statSync(file);
    key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    cache.delete(file);
    return null;
  }
  const hit = cache.get(file);
  if (hit && hit.key === key) return hit.matcher;
  const c = new EntryCollector(64 * 1024);
  await readListFile(file, c, log);
  const matcher = AddressMatcher.fromEntries(c.finish());
  cache.set(file, { key, matcher });
  return matcher;
}

export interface LookupDeps {
  config: WatcherConfig;
  exec: Exec;
  log: Logger;
}

/** The effective whitelist as the modules and the firewall see it (after the next reload, for runtime edits). */
export async function whitelistMatcher(deps: LookupDeps): Promise<AddressMatcher> {
  return AddressMatcher.fromEntries((await collectWhitelist(deps)).entries);
}

function enabledLoaders(config: WatcherConfig): string[] {
  return Object.entries(config.dynloaders)
    .filter(([, d]) => d.enabled)
    .map(([n]) => n)
    .sort();
}

/** Every source whose entries hold (or overlap) `entry` (canonical text), whitelist first. */
export async function holdersOf(deps: LookupDeps, entry: string): Promise<Holder[]> {
  const r = parseIp(entry);
  if (!r.ok) return [];
  const v: IpValue = r.ip;
  const out: Holder[] = [];
  const test = (source: string, m: AddressMatcher | null) => {
    if (!m) return;
    if (m.covers(v)) out.push({ source, how: 'covers' });
    else if (m.overlaps(v)) out.push({ source, how: 'overlaps' });
  };
  test('whitelist', await whitelistMatcher(deps));
  test('blacklist', await fileMatcher(deps.config.lists.blacklist, deps.log));
  for (const name of enabledLoaders(deps.config)) test(`dl:${name}`, await fileMatcher(poolFile(loadPoolDir(deps.config), name), deps.log));
  const now = Date.now();
  for (const m of MODULE_NAMES) {
    const reader = ModuleReader.open(moduleDbPath(deps.config, m));
    if (!reader) continue;
    try {
      const current = reader.bansCovering(v).filter((b) => (b.state === 'pending' || b.state === 'active') && (b.until === null || b.until > now));
      if (current.length > 0) out.push({ source: `mod:${m}`, how: 'covers', entries: [...new Set(current.map((b) => b.entry))] });
    } finally {
      reader.close();
    }
  }
  return out;
}

/** The runtime whitelist entry covering or inside `entry`, if any (with its who/when comment). */
export function runtimeWhitelistHit(config: WatcherConfig, entry: string): { entry: string; comment: string } | undefined {
  const r = parseIp(entry);
  if (!r.ok) return undefined;
  return readRuntimeWhitelist(runtimeWhitelistPath(config.state_dir)).find((e) => {
    const p = parseIp(e.entry);
    return p.ok && (contains(p.ip, r.ip) || contains(r.ip, p.ip));
  });
}
