// The child specs of the supervisor tree for one configuration, in start order: fw-writer first
// (permanent, drained last), then the one-shot master load that the rest waits for.
import type { ChildSpec } from '../../machines/supervisor-types.js';
import { fwWriterLogic } from '../../actors/fw-writer.js';
import { masterLoadLogic } from '../../actors/master-load.js';
import { buildFullPlan } from '../../actors/plan-sources.js';
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
    logic: masterLoadLogic({ buildPlan: () => buildFullPlan({ config: deps.holder.current, exec: deps.exec, log }), log }),
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
      rebuildPlan: async () => (await buildFullPlan({ config: deps.holder.current, exec: deps.exec, log })).plan,
      log,
    }),
    input: { verifyIntervalMs: fw.verify_interval, retryInitialMs: fw.retry_initial, retryMaxMs: fw.retry_max },
  };
}

export function treeSpecs(deps: TreeDeps): ChildSpec[] {
  return [fwWriterSpec(deps), masterLoadSpec(deps)];
}
