// What one incarnation of a module holds open: its database, compiled rules, DNS classifier, ban
// policy and whitelist matcher. Opened when the module starts, closed by its pipeline's cleanup.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ModuleDb } from '../../src/adapters/db/module-db.js';
import { DnsClassifier } from '../../src/adapters/dns/classifier.js';
import { AddressMatcher } from '../../src/core/ip-matcher.js';
import type { ModuleName } from '../../src/core/logline/types.js';
import { FloodCounter } from '../../src/core/module/flood.js';
import type { Detector } from '../../src/core/module/detect.js';
import { resolveBanPolicy, type BanPolicy } from '../../src/core/policy/ban-policy.js';
import { compileRules, loadModuleRules, mergeRuleFiles, type RuleFile } from '../../src/core/rules/index.js';
import { describeProblem } from '../../src/core/errors.js';
import type { WatcherConfig } from '../../src/config/schema.js';
import type { Logger } from '../../src/log.js';

export interface ModuleRuntime {
  module: ModuleName;
  /** replaced in place on reload (rules and whitelist); sources and policy change only by restart */
  config: WatcherConfig;
  db: ModuleDb;
  dns: DnsClassifier | null;
  policy: BanPolicy;
  /** replaced on reload */
  whitelist: AddressMatcher;
  detector: Detector;
  log: Logger;
  /** fw-writer operation id -> ban row ids it carries */
  inFlight: Map<string, number[]>;
  /** the rule files in force (a reload keeps a broken file's previous version) */
  ruleFiles: RuleFile[];
  close(): void;
}

export function moduleDbPath(config: WatcherConfig, module: ModuleName): string {
  return path.join(config.state_dir, 'db', `${module}.sqlite`);
}

export function banPolicyOf(config: WatcherConfig, module: ModuleName): BanPolicy {
  const m = config.modules[module];
  return resolveBanPolicy({
    limit: m.limit,
    windowMs: m.window,
    banMs: m.ban_time,
    factor: m.ban_factor,
    maxBanMs: Math.max(m.ban_max, m.ban_time),
    permanentAfter: m.permanent_after > 0 ? m.permanent_after : null,
    subnet: m.subnet.enabled ? { v4Prefix: m.subnet.v4_prefix, v6Prefix: m.subnet.v6_prefix, threshold: m.subnet.threshold, windowMs: m.subnet.window } : null,
    spread: config.expiry.ban_spread > 0 ? { percent: config.expiry.ban_spread, maxMs: config.expiry.ban_spread_max } : null,
  });
}

/**
 * Loads and compiles the module's rules; problems are logged with file:line and skipped. On a
 * reload, a file that now has problems keeps its previous version (`previous`), so a broken edit
 * never takes working rules away.
 */
export function loadRules(config: WatcherConfig, module: ModuleName, log: Logger, previous: readonly RuleFile[] = []) {
  const loaded = loadModuleRules(module, {
    ...(config.rules.shipped_dir ? { shippedDir: config.rules.shipped_dir } : {}),
    localDir: config.rules.local_dir,
  });
  for (const p of loaded.problems) log.warn(describeProblem(p));
  const files = loaded.files.map((f) => {
    const before = f.problems.length > 0 ? previous.find((p) => p.file === f.file && p.problems.length === 0) : undefined;
    if (before) log.warn(`${f.file}: has problems, its previous rules stay in force until it is fixed`);
    return before ?? f;
  });
  const merged = previous.length > 0 ? mergeRuleFiles(files).rules : loaded.rules;
  return { rules: compileRules(merged), files };
}

export interface RuntimeDeps {
  module: ModuleName;
  config: WatcherConfig;
  whitelist: () => Promise<AddressMatcher>;
  log: Logger;
}

export async function openRuntime(deps: RuntimeDeps): Promise<ModuleRuntime> {
  const { module, config, log } = deps;
  const m = config.modules[module];
  const file = moduleDbPath(config, module);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = ModuleDb.open(file, module);
  try {
    const { rules, files: ruleFiles } = loadRules(config, module, log);
    const dns = m.dns
      ? new DnsClassifier({
          servers: config.dns.servers,
          timeoutMs: config.dns.timeout,
          concurrency: config.dns.concurrency,
          maxEntries: config.dns.cache_size,
          positiveTtlMs: config.dns.positive_ttl,
          negativeTtlMs: config.dns.negative_ttl,
        })
      : null;
    const policy = banPolicyOf(config, module);
    const whitelist = await deps.whitelist();
    const detector: Detector = {
      rules,
      ...(module === 'WB' && m.flood.requests > 0 ? { flood: new FloodCounter(m.flood.requests, m.flood.window) } : {}),
      floodWeight: m.limit,
    };
    return {
      module,
      config,
      db,
      dns,
      policy,
      whitelist,
      detector,
      log,
      inFlight: new Map(),
      ruleFiles,
      close: () => {
        dns?.close();
        db.close();
      },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Reload without restart: the rules (keeping a broken file's previous version) and the whitelist. */
export async function refreshRuntime(rt: ModuleRuntime, config: WatcherConfig, whitelist: () => Promise<AddressMatcher>): Promise<void> {
  const { rules, files } = loadRules(config, rt.module, rt.log, rt.ruleFiles);
  rt.detector.rules = rules;
  rt.ruleFiles = files;
  rt.whitelist = await whitelist();
  rt.config = config;
  rt.log.info('rules and whitelist reloaded');
}
