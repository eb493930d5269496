// The child specs of the supervisor tree for one configuration, in start order: fw-writer first
// (permanent, drained last), then the one-shot master load that the rest waits for.
import type { ChildSpec } from '../../machines/supervisor-types.js';
import { fwWriterLogic } from '../../actors/fw-writer.js';
import { masterLoadLogic } from '../../actors/master-load.js';
import { expirerInput, expirerLogic } from '../../actors/expirer.js';
import { buildFullPlan, collectWhitelist, loadPoolDir, MODULE_NAMES, type ModuleName } from '../../actors/plan-sources.js';
import { dynloaderInput, dynloaderLogic, LOADER_SPACING_MS, type DynloadStatus } from '../../actors/dynload/dynloader.js';
import { spacedLimit } from '../../actors/dynload/spaced-limit.js';
import { moduleLogic } from '../../actors/module/index.js';
import { reporterInput, reporterLogic } from '../../actors/reporter.js';
import { moduleDbPath } from '../../actors/module/runtime.js';
import type { PipelineStats, SharedReaders } from '../../actors/module/pipeline.js';
import { ModuleDb } from '../adapters/db/module-db.js';
import { AddressMatcher } from '../core/ip-matcher.js';
import { EntryCollector } from '../core/aggregate.js';
import type { SetEntries } from '../core/fw-plan.js';
import { existsSync } from 'node:fs';
import type { FirewallBackend } from '../../actors/fw/backend.js';
import type { Exec } from '../adapters/exec.js';
import type { WatcherConfig } from '../config/schema.js';
import { loggerFor } from '../log.js';

/** The configuration the running tree uses; a reload swaps it only after validation. */
export interface ConfigHolder {
  current: WatcherConfig;
}

export interface TreeDeps {
  holder: ConfigHolder;
  backend: FirewallBackend;
  exec: Exec;
  readers: SharedReaders;
  /** each module's pipeline counters, for status */
  pipelines: Map<string, PipelineStats>;
  /** each dynloader's last attempt, success, entries, next run and error, for `watcherctl dynload status` */
  dynloads?: Map<string, DynloadStatus>;
}

/** A module's active and pending bans, read from its database (the master load's module source). */
async function moduleBans(deps: TreeDeps, module: ModuleName): Promise<SetEntries> {
  const file = moduleDbPath(deps.holder.current, module);
  if (!existsSync(file)) return new EntryCollector().finish();
  const db = ModuleDb.open(file, module);
  try {
    return db.activeBans(Date.now());
  } finally {
    db.close();
  }
}

function planDeps(deps: TreeDeps, log: ReturnType<typeof loggerFor>) {
  return { config: deps.holder.current, exec: deps.exec, log, moduleBans: (m: ModuleName) => moduleBans(deps, m) };
}

/** How long the master load waits for the firewall before the rest of the tree starts anyway. */
const MASTER_LOAD_PATIENCE_MS = 120_000;
let loads = 0;

export function masterLoadSpec(deps: TreeDeps): ChildSpec {
  const log = loggerFor('master-load');
  return {
    id: 'master-load',
    restart: 'temporary',
    awaitDone: true,
    logic: masterLoadLogic({ buildPlan: () => buildFullPlan(planDeps(deps, log)), log }),
    input: { opId: `master-load-${++loads}`, patienceMs: MASTER_LOAD_PATIENCE_MS },
  };
}

export function fwWriterSpec(deps: TreeDeps): ChildSpec {
  const log = loggerFor('fw-writer');
  const fw = deps.holder.current.firewall;
  return {
    id: 'fw-writer',
    restart: 'permanent',
    shutdownTimeoutMs: deps.holder.current.supervisor.shutdown_timeout,
    logic: fwWriterLogic({
      backend: deps.backend,
      rebuildPlan: async () => (await buildFullPlan(planDeps(deps, log))).plan,
      log,
    }),
    input: { verifyIntervalMs: fw.verify_interval, retryInitialMs: fw.retry_initial, retryMaxMs: fw.retry_max },
  };
}

/** The expirer: asks every running module to age out its database, every expiry.interval. */
export function expirerSpec(deps: TreeDeps): ChildSpec {
  return {
    id: 'expirer',
    restart: 'permanent',
    logic: expirerLogic(loggerFor('expirer')),
    input: expirerInput(deps.holder.current),
  };
}

export function moduleSpec(deps: TreeDeps, module: ModuleName): ChildSpec {
  const log = loggerFor(`module:${module}`);
  return {
    id: `module:${module}`,
    restart: 'permanent',
    shutdownTimeoutMs: 2_000,
    logic: moduleLogic({
      module,
      holder: deps.holder,
      readers: deps.readers,
      log,
      stats: (s) => deps.pipelines.set(module, s),
      whitelist: async () => AddressMatcher.fromEntries((await collectWhitelist({ config: deps.holder.current, exec: deps.exec, log })).entries),
    }),
    input: { module },
  };
}

export function enabledModules(deps: TreeDeps): ModuleName[] {
  return MODULE_NAMES.filter((m) => deps.holder.current.modules[m].enabled);
}

export function enabledDynloaders(deps: TreeDeps): string[] {
  return Object.entries(deps.holder.current.dynloaders)
    .filter(([, d]) => d.enabled)
    .map(([name]) => name)
    .sort();
}

/** At most this many loaders download at once, starting a minute apart (bounded network and memory). */
const DOWNLOADS_AT_ONCE = 2;
const downloads = spacedLimit(DOWNLOADS_AT_ONCE, LOADER_SPACING_MS);

/** One loader; it only ever hands data to fw-writer, so its crash can never cause a reload. */
export function dynloaderSpec(deps: TreeDeps, name: string, index: number): ChildSpec {
  const log = loggerFor(`dynloader:${name}`);
  const config = deps.holder.current;
  const d = config.dynloaders[name]!;
  deps.dynloads ??= new Map();
  const ddeps = {
    spec: { ...d, name },
    poolDir: loadPoolDir(config),
    whitelist: async () => AddressMatcher.fromEntries((await collectWhitelist({ config: deps.holder.current, exec: deps.exec, log })).entries),
    log,
    board: deps.dynloads,
    index,
    limit: <T>(fn: () => Promise<T>) => downloads(name, fn),
  };
  return {
    id: `dynloader:${name}`,
    restart: 'permanent',
    shutdownTimeoutMs: 2_000,
    logic: dynloaderLogic(ddeps),
    input: dynloaderInput(ddeps),
  };
}

/** The scheduled reports (reports.schedule not off): reads only, writes its page and mail. */
export function reporterSpec(deps: TreeDeps): ChildSpec {
  const rdeps = { config: () => deps.holder.current, log: loggerFor('reporter') };
  return { id: 'reporter', restart: 'permanent', shutdownTimeoutMs: 2_000, logic: reporterLogic(rdeps), input: reporterInput(rdeps) };
}

export function reporterEnabled(deps: TreeDeps): boolean {
  return deps.holder.current.reports.schedule !== 'off';
}

/** Start order: fw-writer, the master load (awaited), the expirer, the enabled modules, the dynloaders, the reporter. */
export function treeSpecs(deps: TreeDeps): ChildSpec[] {
  return [
    fwWriterSpec(deps),
    masterLoadSpec(deps),
    expirerSpec(deps),
    ...enabledModules(deps).map((m) => moduleSpec(deps, m)),
    ...enabledDynloaders(deps).map((n, i) => dynloaderSpec(deps, n, i)),
    ...(reporterEnabled(deps) ? [reporterSpec(deps)] : []),
  ];
}
