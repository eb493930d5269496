// `watcher run`: the daemon in the foreground. Loads and validates the configuration, builds the
// supervisor tree, turns signals and control requests into supervisor events and exits with the
// supervisor's exit code (1 after giving up, so systemd restarts the service).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createActor, fromPromise, type AnyActorRef } from 'xstate';
import { supervisorMachine } from '../../machines/supervisor.js';
import type { ReloaderInput, ReloadResult, SupervisorOutput } from '../../machines/supervisor-types.js';
import { chooseBackend } from '../../actors/fw/choose-backend.js';
import { formatProblems, loadConfig, type LoadOptions } from '../config/load.js';
import type { WatcherConfig } from '../config/schema.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import type { ControlCommand } from '../control/protocol.js';
import { loggerFor, setLogLevel } from '../log.js';
import { dynloaderSpec, enabledDynloaders, masterLoadSpec, moduleSpec, reporterEnabled, reporterSpec, treeSpecs, type ConfigHolder, type TreeDeps } from './children.js';
import type { DynloadStatus } from '../../actors/dynload/dynloader.js';
import { sharedReaders } from '../../actors/module/pipeline.js';
import { MODULE_NAMES } from '../../actors/plan-sources.js';
import { statusOf } from './status.js';

export interface RunOptions extends LoadOptions {
  /** `watcher full`: remove everything Watcher put into the firewall before the master load */
  blank?: boolean;
}

const log = loggerFor('daemon');

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
  setLogLevel(config.log_level);
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  mkdirSync(config.run_dir, { recursive: true, mode: 0o755 });
  mkdirSync(path.dirname(config.control.socket), { recursive: true, mode: 0o755 });

  const choice = await chooseBackend(config, loggerFor('fw-writer'), path.join(config.state_dir, 'dry-run.jsonl'));
  log.info(`firewall backend: ${choice.backend.name} (${choice.reason})`);
  const deps: TreeDeps = { holder, backend: choice.backend, exec: choice.exec, readers: sharedReaders(), pipelines: new Map(), dynloads: new Map<string, DynloadStatus>() };

  // The reload: validate the new configuration first; a bad one is refused and the running one stays.
  const reloader = fromPromise<ReloadResult, ReloaderInput>(async () => {
    const next = loadConfig(opts);
    if (!next.ok) return { ok: false, problems: next.problems.map((p) => formatProblems([p])) };
    if (firewallChanged(holder.current, next.config)) {
      log.warn('firewall.backend and firewall.netns changes take effect at the next restart (watcher restart)');
    }
    const before = holder.current;
    holder.current = next.config;
    setLogLevel(next.config.log_level);
    // Modules whose settings changed are replaced; unchanged ones keep running untouched.
    const replace = MODULE_NAMES.filter(
      (m) => next.config.modules[m].enabled && JSON.stringify(next.config.modules[m]) !== JSON.stringify(before.modules[m]),
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
    // The reporter follows reports: started, replaced (new schedule or delivery) or removed (off).
    if (JSON.stringify(next.config.reports) !== JSON.stringify(before.reports)) {
      if (reporterEnabled(deps)) replace.push(reporterSpec(deps));
      else if (before.reports.schedule !== 'off') remove.push('reporter');
    }
    return { ok: true, changes: { replace, remove, update, rerun: [masterLoadSpec(deps)] } };
  });

  const startedAt = Date.now();
  const root = createActor(supervisorMachine.provide({ actors: { reloader } }), {
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
    control = await startControlServer(config.control.socket, async (cmd: ControlCommand) => {
      switch (cmd.cmd) {
        case 'status':
          return statusOf(root, choice.backend.name, startedAt, deps.pipelines);
        case 'inject': {
          const mod = root.system.get(`module:${cmd.module}`) as AnyActorRef | undefined;
          if (!mod) throw new Error(`module ${cmd.module} is not running (enable it: modules.${cmd.module}.enabled)`);
          mod.send({ type: 'lines.injected', lines: cmd.lines });
          return { injected: cmd.lines.length };
        }
        case 'dynload': {
          const names = cmd.name !== undefined ? [cmd.name] : enabledDynloaders(deps);
          const at = Date.now();
          for (const n of names) {
            const dl = root.system.get(`dynloader:${n}`) as AnyActorRef | undefined;
            if (!dl) throw new Error(`dynloader ${n} is not running (configure it under dynloaders.${n} with enabled: true)`);
            // a loader that is already fetching ignores this: 100 requests cost one download
            dl.send({ type: 'dynload.now', at });
          }
          return { dynload: 'requested', loaders: names };
        }
        case 'dynload-status': {
          const now = Date.now();
          return [...(deps.dynloads ?? new Map<string, DynloadStatus>()).values()].map((s) => ({
            ...s,
            // the board is written when a loader goes idle; the live state comes from its snapshot
            state: String((root.system.get(`dynloader:${s.name}`) as AnyActorRef | undefined)?.getSnapshot().value ?? 'not running'),
            ageSeconds: s.lastSuccessAt !== null ? Math.round((now - s.lastSuccessAt) / 1000) : null,
          }));
        }
        case 'reload':
          root.send({ type: 'reload.requested' });
          return { reload: 'requested' };
        case 'stop':
          setImmediate(() => stop(cmd.flush || !holder.current.firewall.keep_on_stop));
          return { stop: 'requested', flush: cmd.flush };
      }
    });
  } catch (e) {
    log.error(`control socket ${config.control.socket}: ${e instanceof Error ? e.message : String(e)}`);
    root.send({ type: 'shutdown.requested' });
  }

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
  await choice.backend.close();
  rmSync(pidFile, { force: true });
  if (out.exitCode !== 0) log.error(`supervisor gave up: ${out.reason ?? 'unknown reason'}`);
  else log.info('stopped');
  return out.exitCode;
}
