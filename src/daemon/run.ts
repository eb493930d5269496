// `watcher run`: the daemon in the foreground. Loads and validates the configuration, builds the
// supervisor tree, turns signals and control requests into supervisor events and exits with the
// supervisor's exit code (1 after giving up, so systemd restarts the service).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createActor, fromPromise, type AnyActorRef } from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.js';
import type { ReloaderInput, ReloadResult, SupervisorContext, SupervisorOutput } from '../../machines/supervisor-types.js';
import { chooseBackend } from '../../actors/fw/choose-backend.js';
import { formatProblems, loadConfig, type LoadOptions } from '../config/load.js';
import type { WatcherConfig } from '../config/schema.js';
import { startControlServer, type ControlServer, type SocketAccess } from '../control/server.js';
import { gidOf } from '../adapters/group.js';
import { controlHandler } from './control.js';
import { TraceHub } from './trace.js';
import { closeLogFiles, configureLogging, loggerFor } from '../log.js';
import { MetricsRecorder } from '../adapters/metrics/recorder.js';
import { MetricsService } from './metrics-service.js';
import { dynloaderSpec, enabledDynloaders, masterLoadSpec, moduleSpec, reporterEnabled, reporterSpec, treeSpecs, type ConfigHolder, type TreeDeps } from './children.js';
import type { DynloadStatus } from '../../actors/dynload/dynloader.js';
import { sharedReaders } from '../../actors/module/pipeline.js';
import { MODULE_NAMES } from '../../actors/plan-sources.js';
import { expirerSettings } from '../../actors/expirer.js';

export interface RunOptions extends LoadOptions {
  /** `watcher full`: remove everything Watcher put into the firewall before the master load */
  blank?: boolean;
}

const log = loggerFor('daemon');

/** Who may use the control socket: root only, or also control.group (an unknown group keeps root only). */
function socketAccess(config: WatcherConfig): SocketAccess {
  if (config.control.group === '') return {};
  const gid = gidOf(config.control.group);
  if (gid === undefined) {
    log.error(`control.group "${config.control.group}" does not exist: the control socket stays root only (0600)`);
    return {};
  }
  return { gid };
}

/** Firewall settings that need a restart: the writer owns one backend for its whole life. */
function firewallChanged(a: WatcherConfig, b: WatcherConfig): boolean {
  return a.firewall.backend !== b.firewall.backend || a.firewall.netns !== b.firewall.netns;
}

export async function runDaemon(opts: RunOptions): Promise<number> {
  const loaded = loadConfig(opts);
  if (!loaded.ok) {
    process.stderr.write(`watcher: the configuration is invalid, not starting:\n${formatProblems(loaded.problems)}\n`);
    return 1;
  }
  const holder: ConfigHolder = { current: loaded.config };
  const config = holder.current;
  await configureLogging({ level: config.log_level, dir: config.log_dir });
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  mkdirSync(config.run_dir, { recursive: true, mode: 0o755 });
  mkdirSync(path.dirname(config.control.socket), { recursive: true, mode: 0o755 });

  const choice = await chooseBackend(config, loggerFor('fw-writer'), path.join(config.state_dir, 'dry-run.jsonl'));
  log.info(`firewall backend: ${choice.backend.name} (${choice.reason})`);
  // Metrics read the tree at scrape time; only the backend is wrapped, to time each apply. The recorder
  // counts from the start; prom-client is loaded when metrics are first enabled (endpoint below).
  const recorder = new MetricsRecorder();
  const deps: TreeDeps = {
    holder,
    backend: recorder.timed(choice.backend),
    exec: choice.exec,
    readers: sharedReaders(),
    pipelines: new Map(),
    dynloads: recorder.dynloads,
  };

  // The reload: validate the new configuration first; a bad one is refused and the running one stays.
  const reloader = fromPromise<ReloadResult, ReloaderInput>(async () => {
    const next = loadConfig(opts);
    if (!next.ok) return { ok: false, problems: next.problems.map((p) => formatProblems([p])) };
    if (firewallChanged(holder.current, next.config)) {
      log.warn('firewall.backend and firewall.netns changes take effect at the next restart (watcher restart)');
    }
    const before = holder.current;
    holder.current = next.config;
    await configureLogging({ level: next.config.log_level, dir: next.config.log_dir });
    await endpoint.apply(next.config.metrics);
    // Modules whose settings changed are replaced (the ban spread is part of every module's policy);
    // unchanged ones keep running untouched.
    const spreadOf = (c: WatcherConfig) => `${c.expiry.ban_spread}/${c.expiry.ban_spread_max}`;
    const replace = MODULE_NAMES.filter(
      (m) =>
        next.config.modules[m].enabled &&
        (JSON.stringify(next.config.modules[m]) !== JSON.stringify(before.modules[m]) || spreadOf(next.config) !== spreadOf(before)),
    ).map((m) => moduleSpec(deps, m));
    const remove = MODULE_NAMES.filter((m) => before.modules[m].enabled && !next.config.modules[m].enabled).map((m) => `module:${m}`);
    // Unchanged modules re-read their rules and the whitelist in place.
    const update = MODULE_NAMES.filter((m) => next.config.modules[m].enabled && before.modules[m].enabled && !replace.some((s) => s.id === `module:${m}`)).map(
      (m) => ({ id: `module:${m}`, event: { type: 'config.updated' } }),
    );
    // Dynloaders whose settings changed (or that are new) are replaced; others keep their schedule.
    const loaders = enabledDynloaders(deps);
    loaders.forEach((n, i) => {
      if (JSON.stringify(next.config.dynloaders[n]) !== JSON.stringify(before.dynloaders[n])) replace.push(dynloaderSpec(deps, n, i));
    });
    for (const [n, d] of Object.entries(before.dynloaders)) {
      if (d.enabled && !loaders.includes(n)) {
        remove.push(`dynloader:${n}`);
        deps.dynloads?.delete(n);
      }
    }
    // The expirer keeps its schedule and asks the modules now enabled, at the new interval.
    const expirerUpdate = { type: 'config.updated', settings: expirerSettings(next.config) };
    update.push({ id: 'expirer', event: expirerUpdate });
    // The reporter follows reports: started, replaced (new schedule or delivery) or removed (off).
    if (JSON.stringify(next.config.reports) !== JSON.stringify(before.reports)) {
      if (reporterEnabled(deps)) replace.push(reporterSpec(deps));
      else if (before.reports.schedule !== 'off') remove.push('reporter');
    }
    return { ok: true, changes: { replace, remove, update, rerun: [masterLoadSpec(deps)] } };
  });

  const startedAt = Date.now();
  // `watcherctl trace` listens here; with no listener the callback is one size check per event
  const trace = new TraceHub();
  const root = createActor(supervisorMachine.provide({ actors: { reloader } }), {
    inspect: trace.inspect,
    input: {
      children: treeSpecs(deps),
      now: Date.now,
      policy: {
        intensity: config.supervisor.intensity,
        periodMs: config.supervisor.period,
        backoffInitialMs: config.supervisor.backoff_initial,
        backoffMaxMs: config.supervisor.backoff_max,
        healthyAfterMs: config.supervisor.backoff_reset,
      },
    },
  });

  const endpoint = new MetricsService(
    recorder,
    () => ({
      actor: (id) => root.system.get(id) as AnyActorRef | undefined,
      supervisor: () => (root.getSnapshot() as { context?: SupervisorContext }).context,
      pipelines: deps.pipelines,
    }),
    loggerFor('metrics'),
  );

  const supLog = loggerFor('supervisor');
  root.on('supervisor.notice', (n) => supLog.log(n.level, n.message));

  const done = new Promise<SupervisorOutput>((resolve) => {
    root.subscribe({
      complete: () => resolve(root.getSnapshot().output as SupervisorOutput),
      error: (err) => resolve({ exitCode: 1, reason: String(err) }),
    });
  });

  const writer = (): AnyActorRef | undefined => root.system.get('fw-writer') as AnyActorRef | undefined;
  const stop = (flush: boolean) => {
    if (flush) writer()?.send({ type: 'fw.teardown', opId: 'stop-flush' });
    root.send({ type: 'shutdown.requested' });
  };

  root.start();
  if (opts.blank) writer()?.send({ type: 'fw.teardown', opId: 'full' });

  const pidFile = path.join(config.run_dir, 'watcher.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  let control: ControlServer | null = null;
  try {
    const handler = controlHandler({ root, deps, backend: choice.backend.name, startedAt, trace, stop });
    control = await startControlServer(config.control.socket, handler, socketAccess(config));
  } catch (e) {
    log.error(`control socket ${config.control.socket}: ${e instanceof Error ? e.message : String(e)}`);
    root.send({ type: 'shutdown.requested' });
  }

  await endpoint.apply(config.metrics);

  const onHup = () => {
    log.info('SIGHUP: reload requested');
    root.send({ type: 'reload.requested' });
  };
  const onTerm = (sig: string) => () => {
    log.info(`${sig}: stopping`);
    stop(!holder.current.firewall.keep_on_stop);
  };
  process.on('SIGHUP', onHup);
  const term = onTerm('SIGTERM');
  const int = onTerm('SIGINT');
  process.on('SIGTERM', term);
  process.on('SIGINT', int);

  const out = await done;
  process.off('SIGHUP', onHup);
  process.off('SIGTERM', term);
  process.off('SIGINT', int);
  await control?.close();
  await endpoint.close();
  await choice.backend.close();
  rmSync(pidFile, { force: true });
  if (out.exitCode !== 0) log.error(`supervisor gave up: ${out.reason ?? 'unknown reason'}`);
  else log.info('stopped');
  await closeLogFiles();
  return out.exitCode;
}
